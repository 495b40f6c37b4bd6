/* fuzz_json_walk.c — libFuzzer target for the strict JSON walker (preload/genai/json_walk.h),
 * as a differential check against cJSON: whatever the walker accepts as an object or an
 * array, cJSON parses into the tree the walker's callbacks saw, and the value readers agree
 * with cJSON's items, and a one-pass nested walk reports what walking each nested value
 * again reports (tests/unit/json_walk_oracle.h). The input is the text. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "tests/unit/json_walk_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool accepted;
    if (!walk_agrees((const char *)data, size, false, &accepted) ||
        !walk_agrees((const char *)data, size, true, &accepted) ||
        !walk_nested_agrees((const char *)data, size, &accepted))
        abort();
    return 0;
}
