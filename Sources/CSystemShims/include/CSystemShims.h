// Linux syscalls Swift's Glibc module does not surface: accept4 (SOCK_NONBLOCK|SOCK_CLOEXEC), epoll, eventfd,
// and kcmp (variadic syscall(2) cannot be called from Swift).
#ifndef KELPIE_CSYSTEMSHIMS_H
#define KELPIE_CSYSTEMSHIMS_H
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

int kelpie_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

/// 1 when both descriptors of this process refer to the same open file description, 0 when not,
/// -1 with errno set when kcmp(2) is unavailable. Used to tell a leaked descriptor from a reused number.
int kelpie_same_open_file(int fd1, int fd2);
#endif
