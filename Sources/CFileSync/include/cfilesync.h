#ifndef CFILESYNC_H
#define CFILESYNC_H

/// syncfs(2): writes back every dirty page and inode of the file system holding `fd` and
/// flushes the device once. Glibc declares it only under _GNU_SOURCE, which Swift's Glibc
/// module does not set. Returns 0, or -1 with errno set (write-back errors since Linux 5.8).
int weir_syncfs(int fd);

#endif
