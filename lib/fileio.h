/* fileio.h - durable file writes: a temporary file, fsync, rename, fsync of the folder. */
#ifndef PORTAL_FILEIO_H
#define PORTAL_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Write len bytes as dir/name atomically (readers see the old file or the whole new one) and
 * durably (the data and the rename are on disk on return). Returns 0, or -1 with errno set. */
int file_write_atomic(const char *dir, const char *name, const void *data, size_t len, mode_t mode);

#endif
