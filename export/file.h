/* file.h — the LLMTAP_FILE exporter: OTLP JSON lines, one TracesData per line (the format
 * the Collector's otlpjsonfile receiver replays). */
#ifndef LT_FILE_H
#define LT_FILE_H

#include <stddef.h>

/** Open (create, mode 0600, append, no symlink followed) `path`. Returns an fd or -errno. */
int lt_file_open(const char *path);

/** Append `len` bytes plus a newline as one write where possible (O_APPEND keeps lines of
 *  concurrent processes whole up to PIPE_BUF-ish sizes on local filesystems). Returns 0 or
 *  -errno. */
int lt_file_write_line(int fd, const char *data, size_t len);

#endif
