// Linux syscalls Swift's Glibc module does not surface: accept4 (SOCK_NONBLOCK|SOCK_CLOEXEC), epoll, eventfd.
#ifndef KELPIE_CSYSTEMSHIMS_H
#define KELPIE_CSYSTEMSHIMS_H
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

int kelpie_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
#endif
