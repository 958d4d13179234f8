#define _GNU_SOURCE
#include "CSystemShims.h"
#include <sys/syscall.h>
#include <unistd.h>

int kelpie_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    return accept4(fd, addr, len, flags);
}

int kelpie_same_open_file(int fd1, int fd2) {
    pid_t pid = getpid();
    long result = syscall(SYS_kcmp, pid, pid, 0 /* KCMP_FILE */, fd1, fd2);
    if (result < 0) return -1;
    return result == 0 ? 1 : 0;
}
