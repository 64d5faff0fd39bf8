#include <malloc.h>
#include <sys/types.h>

// copy_file_range(2): glibc declares it only for _GNU_SOURCE, which the Glibc module is built without.
extern ssize_t copy_file_range(int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t len, unsigned int flags);
