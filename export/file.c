/* file.c — JSON-lines file output (see file.h). */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int lt_file_open(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    return fd < 0 ? -errno : fd;
}

int lt_file_write_line(int fd, const char *data, size_t len)
{
    struct iovec iov[2] = {{(void *)data, len}, {(void *)"\n", 1}};
    size_t total = len + 1, done = 0;
    while (done < total) {
        ssize_t w = writev(fd, iov, 2);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        done += (size_t)w;
        /* Advance the iovecs past what was written. */
        size_t skip = (size_t)w;
        for (int i = 0; i < 2; i++) {
            size_t take = skip < iov[i].iov_len ? skip : iov[i].iov_len;
            iov[i].iov_base = (char *)iov[i].iov_base + take;
            iov[i].iov_len -= take;
            skip -= take;
        }
    }
    return 0;
}
