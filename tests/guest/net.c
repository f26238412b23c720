/* Sockets on loopback only, in one process (no fork): TCP over 127.0.0.1 and ::1,
 * UDP, unix stream sockets by path, abstract name and socketpair, SCM_RIGHTS
 * and SCM_CREDENTIALS, socket options. Prints only what does not depend on
 * ports, pids or timing. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, what) do { \
        if (cond) printf("%s: yes\n", what); \
        else { printf("%s: NO (%s)\n", what, strerror(errno)); failures++; } \
    } while (0)

static const char *errname(int e)
{
    switch (e) {
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EBADF: return "EBADF";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EAGAIN: return "EAGAIN";
    case ENOTSOCK: return "ENOTSOCK";
    default: return "?";
    }
}

/* a call's result and, when it failed, its errno's name: errno is read after the call */
#define SHOW(label, call) do { int r_ = (call); printf("%s = %d %s\n", label, r_, r_ < 0 ? errname(errno) : ""); } while (0)

static int getint(int fd, int level, int name)
{
    int v = -12345;
    socklen_t len = sizeof v;
    if (getsockopt(fd, level, name, &v, &len) < 0)
        return -errno * 1000;
    if (len != sizeof v)
        return -99999;
    return v;
}

/* client -> server -> client through an accepted TCP connection */
static void echo(int family, const char *label)
{
    char what[128];
    struct sockaddr_storage addr, peer, name;
    socklen_t alen;
    memset(&addr, 0, sizeof addr);
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&addr;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        alen = sizeof *in;
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addr;
        in6->sin6_family = AF_INET6;
        in6->sin6_addr = in6addr_loopback;
        alen = sizeof *in6;
    }
    int lst = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lst < 0) {
        printf("%s: socket unavailable\n", label);
        return;
    }
    int one = 1;
    CHECK(setsockopt(lst, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0, "setsockopt SO_REUSEADDR");
    if (family == AF_INET6) {
        CHECK(setsockopt(lst, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) == 0, "setsockopt IPV6_V6ONLY");
        printf("IPV6_V6ONLY = %d\n", getint(lst, IPPROTO_IPV6, IPV6_V6ONLY));
    }
    if (bind(lst, (struct sockaddr *)&addr, alen) < 0) {
        printf("%s: loopback unavailable\n", label);
        close(lst);
        return;
    }
    CHECK(listen(lst, 4) == 0, "listen");
    printf("SO_ACCEPTCONN = %d\n", getint(lst, SOL_SOCKET, SO_ACCEPTCONN));
    socklen_t nlen = sizeof name;
    CHECK(getsockname(lst, (struct sockaddr *)&name, &nlen) == 0 && nlen == alen, "getsockname");
    in_port_t port = family == AF_INET ? ((struct sockaddr_in *)&name)->sin_port
                                       : ((struct sockaddr_in6 *)&name)->sin6_port;
    CHECK(port != 0, "bound port nonzero");
    printf("family = %s\n", name.ss_family == AF_INET ? "AF_INET" : name.ss_family == AF_INET6 ? "AF_INET6" : "?");

    /* blocking connect: the listener's backlog completes it before accept */
    int cli = socket(family, SOCK_STREAM, 0);
    CHECK(connect(cli, (struct sockaddr *)&name, nlen) == 0, "connect");
    socklen_t plen = sizeof peer;
    int srv = accept4(lst, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
    CHECK(srv >= 0, "accept4");
    CHECK(plen == alen && peer.ss_family == family, "accept4 peer address");
    CHECK((fcntl(srv, F_GETFD) & FD_CLOEXEC) != 0, "accept4 SOCK_CLOEXEC");
    struct sockaddr_storage cname, speer;
    socklen_t cl = sizeof cname, sl = sizeof speer;
    getsockname(cli, (struct sockaddr *)&cname, &cl);
    getpeername(srv, (struct sockaddr *)&speer, &sl);
    CHECK(cl == sl && memcmp(&cname, &speer, cl) == 0, "client name is server's peer");
    cl = sizeof cname;
    getpeername(cli, (struct sockaddr *)&cname, &cl);
    CHECK(cl == nlen && memcmp(&cname, &name, cl) == 0, "client's peer is the listener");

    /* options on a connected socket */
    CHECK(setsockopt(cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0, "setsockopt TCP_NODELAY");
    printf("TCP_NODELAY = %d\n", getint(cli, IPPROTO_TCP, TCP_NODELAY) != 0);
    printf("SO_TYPE is SOCK_STREAM = %d\n", getint(cli, SOL_SOCKET, SO_TYPE) == SOCK_STREAM);
    printf("SO_DOMAIN is family = %d\n", getint(cli, SOL_SOCKET, SO_DOMAIN) == family);
    printf("SO_ERROR = %d\n", getint(cli, SOL_SOCKET, SO_ERROR));

    /* client writes, the server waits with ppoll */
    CHECK(write(cli, "ping", 4) == 4, "client write");
    struct pollfd pfd = {.fd = srv, .events = POLLIN};
    struct timespec ts = {5, 0};
    int n = ppoll(&pfd, 1, &ts, NULL);
    printf("ppoll = %d revents POLLIN = %d\n", n, (pfd.revents & POLLIN) != 0);
    char buf[64] = {0};
    n = recv(srv, buf, sizeof buf, 0);
    printf("server got %d: %.*s\n", n, n, buf);
    CHECK(send(srv, "pong!", 5, 0) == 5, "server send");

    /* the client waits with epoll */
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u64 = 0x1122334455667788ULL};
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, cli, &ev) == 0, "epoll_ctl ADD");
    struct epoll_event out[4];
    memset(out, 0xff, sizeof out);
    n = epoll_wait(ep, out, 4, 5000);
    printf("epoll_wait = %d events %#x data %#llx\n", n, out[0].events, (unsigned long long)out[0].data.u64);
    n = read(cli, buf, sizeof buf);
    printf("client got %d: %.*s\n", n, n, buf);

    /* half close: the server reads end of file; the client's epoll sees RDHUP after the server closes */
    CHECK(shutdown(cli, SHUT_WR) == 0, "shutdown SHUT_WR");
    n = read(srv, buf, sizeof buf);
    printf("server read after shutdown = %d\n", n);
    close(srv);
    n = epoll_wait(ep, out, 4, 5000);
    printf("epoll_wait after close = %d EPOLLRDHUP = %d\n", n, n == 1 && (out[0].events & EPOLLRDHUP) != 0);
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, cli, NULL) == 0, "epoll_ctl DEL");
    close(ep);
    close(cli);

    /* non-blocking connect, completion seen by poll and SO_ERROR */
    cli = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    n = connect(cli, (struct sockaddr *)&name, nlen);
    CHECK(n == 0 || errno == EINPROGRESS, "non-blocking connect");
    pfd.fd = cli;
    pfd.events = POLLOUT;
    n = poll(&pfd, 1, 5000);
    printf("poll POLLOUT = %d %d\n", n, (pfd.revents & POLLOUT) != 0);
    printf("SO_ERROR = %d\n", getint(cli, SOL_SOCKET, SO_ERROR));
    srv = accept(lst, NULL, NULL);
    CHECK(srv >= 0, "accept without address");
    SHOW("recv MSG_DONTWAIT on empty", recv(srv, buf, sizeof buf, MSG_DONTWAIT));
    close(srv);
    close(cli);
    close(lst);
    snprintf(what, sizeof what, "%s done", label);
    puts(what);
}

static void udp(void)
{
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(a, (struct sockaddr *)&any, sizeof any) == 0, "udp bind a");
    CHECK(bind(b, (struct sockaddr *)&any, sizeof any) == 0, "udp bind b");
    struct sockaddr_in an, bn, from;
    socklen_t l = sizeof an;
    getsockname(a, (struct sockaddr *)&an, &l);
    l = sizeof bn;
    getsockname(b, (struct sockaddr *)&bn, &l);
    printf("SO_TYPE is SOCK_DGRAM = %d\n", getint(a, SOL_SOCKET, SO_TYPE) == SOCK_DGRAM);
    int n = sendto(a, "datagram", 8, 0, (struct sockaddr *)&bn, sizeof bn);
    printf("sendto = %d\n", n);
    char buf[32];
    socklen_t fl = sizeof from;
    n = recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    printf("recvfrom = %d %.*s\n", n, n, buf);
    CHECK(fl == sizeof from && from.sin_port == an.sin_port && from.sin_addr.s_addr == an.sin_addr.s_addr,
          "recvfrom source is the sender");
    /* a short address buffer: truncated, the full length reported */
    sendto(a, "x", 1, 0, (struct sockaddr *)&bn, sizeof bn);
    char small[4];
    fl = sizeof small;
    n = recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)small, &fl);
    printf("recvfrom short address = %d addrlen %u\n", n, (unsigned)fl);
    /* connected UDP with sendmsg/recvmsg and two iovecs */
    CHECK(connect(a, (struct sockaddr *)&bn, sizeof bn) == 0, "udp connect");
    struct iovec iov[2] = {{"hello ", 6}, {"world", 5}};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
    printf("sendmsg = %zd\n", sendmsg(a, &mh, 0));
    char p1[4], p2[16] = {0};
    struct iovec rio[2] = {{p1, 4}, {p2, sizeof p2}};
    struct sockaddr_in src;
    struct msghdr rh = {.msg_name = &src, .msg_namelen = sizeof src, .msg_iov = rio, .msg_iovlen = 2};
    n = recvmsg(b, &rh, 0);
    printf("recvmsg = %d '%.4s' '%s' namelen %u flags %d\n", n, p1, p2, (unsigned)rh.msg_namelen, rh.msg_flags);
    /* a datagram bigger than the buffer: MSG_TRUNC */
    send(a, "0123456789", 10, 0);
    struct iovec one_iov = {p1, 4};
    struct msghdr th = {.msg_iov = &one_iov, .msg_iovlen = 1};
    n = recvmsg(b, &th, 0);
    printf("recvmsg truncated = %d MSG_TRUNC = %d\n", n, (th.msg_flags & MSG_TRUNC) != 0);
    close(a);
    close(b);
}

static void options(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int v = 1;
    setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v);
    printf("SO_KEEPALIVE = %d\n", getint(s, SOL_SOCKET, SO_KEEPALIVE));
    v = 65536;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    printf("SO_RCVBUF doubled = %d\n", getint(s, SOL_SOCKET, SO_RCVBUF) == 2 * 65536);
    struct linger lg = {1, 7}, lg2 = {0, 0};
    socklen_t l = sizeof lg2;
    setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    getsockopt(s, SOL_SOCKET, SO_LINGER, &lg2, &l);
    printf("SO_LINGER = %d %d len %u\n", lg2.l_onoff, lg2.l_linger, (unsigned)l);
    struct timeval tv = {3, 0}, tv2 = {0, 0};
    l = sizeof tv2;
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv2, &l);
    printf("SO_RCVTIMEO = %ld.%06ld len %u\n", (long)tv2.tv_sec, (long)tv2.tv_usec, (unsigned)l);
    tv.tv_sec = 0;
    tv.tv_usec = 500000;
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    l = sizeof tv2;
    getsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv2, &l);
    printf("SO_SNDTIMEO = %ld.%06ld\n", (long)tv2.tv_sec, (long)tv2.tv_usec);
    SHOW("short SO_LINGER set", setsockopt(s, SOL_SOCKET, SO_LINGER, &v, 2));
    v = 64;
    setsockopt(s, IPPROTO_IP, IP_TTL, &v, sizeof v);
    printf("IP_TTL = %d\n", getint(s, IPPROTO_IP, IP_TTL));
    SHOW("unknown SOL_SOCKET option", getsockopt(s, SOL_SOCKET, 12345, &v, &l));
    l = 0;
    printf("getsockopt len 0 = %d len %u\n", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l), (unsigned)l);
    SHOW("bad optval", setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, (void *)8, 4));
    SHOW("bad address length", bind(s, (struct sockaddr *)&tv, 1000));
    SHOW("bad address", bind(s, (struct sockaddr *)8, 16));
    SHOW("bad descriptor", listen(1000, 1));
    SHOW("not a socket", listen(1, 1));
    close(s);
    SHOW("bad family", socket(12345, SOCK_STREAM, 0));
}

static int send_fds(int sock, int *fds, int count, const char *data)
{
    char control[CMSG_SPACE(sizeof(int) * 4)];
    memset(control, 0, sizeof control);
    struct iovec iov = {(void *)data, strlen(data)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                        .msg_controllen = CMSG_SPACE(sizeof(int) * count)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * count);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * count);
    return sendmsg(sock, &mh, 0);
}

static void unix_sockets(int ctrunc)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
    int p[2];
    pipe(p);
    printf("sendmsg SCM_RIGHTS = %d\n", send_fds(sv[0], &p[0], 1, "fd!"));
    char control[CMSG_SPACE(sizeof(int) * 4)], data[16] = {0};
    struct iovec iov = {data, sizeof data};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    int n = recvmsg(sv[1], &mh, MSG_CMSG_CLOEXEC);
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    printf("recvmsg = %d '%s' controllen %zu\n", n, data, (size_t)mh.msg_controllen);
    int got = -1;
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
        memcpy(&got, CMSG_DATA(c), sizeof got);
        printf("received an fd: %s\n", got >= 0 && got != p[0] ? "yes" : "no");
        printf("received fd close-on-exec = %d\n", (fcntl(got, F_GETFD) & FD_CLOEXEC) != 0);
        write(p[1], "through the pipe", 16);
        char buf[32] = {0};
        n = read(got, buf, sizeof buf);
        printf("read through received fd = %d %s\n", n, buf);
        close(got);
    } else {
        printf("no SCM_RIGHTS message\n");
    }
    /* three fds, room for two: MSG_CTRUNC and only two delivered. Only with
     * --ctrunc: qemu-user 7.2 receives into a doubled buffer and misses the flag */
    if (ctrunc) {
        int three[3] = {p[0], p[1], p[0]};
        send_fds(sv[0], three, 3, "two");
        char small[CMSG_SPACE(sizeof(int))];
        struct msghdr sh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = small, .msg_controllen = sizeof small};
        n = recvmsg(sv[1], &sh, 0);
        c = CMSG_FIRSTHDR(&sh);
        printf("recvmsg small control = %d MSG_CTRUNC = %d cmsg_len %zu\n", n, (sh.msg_flags & MSG_CTRUNC) != 0,
               c ? (size_t)c->cmsg_len : (size_t)0);
        if (c) {
            int fds[2];
            memcpy(fds, CMSG_DATA(c), sizeof fds);
            close(fds[0]);
            close(fds[1]);
        }
    }

    /* SCM_CREDENTIALS */
    int on = 1;
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    struct ucred cred = {getpid(), getuid(), getgid()};
    char ccontrol[CMSG_SPACE(sizeof cred)];
    memset(ccontrol, 0, sizeof ccontrol);
    struct iovec ci = {"cred", 4};
    struct msghdr cm = {.msg_iov = &ci, .msg_iovlen = 1, .msg_control = ccontrol, .msg_controllen = sizeof ccontrol};
    c = CMSG_FIRSTHDR(&cm);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof cred);
    memcpy(CMSG_DATA(c), &cred, sizeof cred);
    printf("sendmsg SCM_CREDENTIALS = %zd\n", sendmsg(sv[0], &cm, 0));
    memset(data, 0, sizeof data);
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    n = recvmsg(sv[1], &mh, 0);
    c = CMSG_FIRSTHDR(&mh);
    struct ucred rc = {0, 0, 0};
    if (c && c->cmsg_type == SCM_CREDENTIALS)
        memcpy(&rc, CMSG_DATA(c), sizeof rc);
    printf("recvmsg credentials = %d pid ok %d uid ok %d\n", n, rc.pid == getpid(), rc.uid == getuid());
    struct ucred peer;
    socklen_t pl = sizeof peer;
    getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &peer, &pl);
    printf("SO_PEERCRED pid ok %d len %u\n", peer.pid == getpid(), (unsigned)pl);
    close(sv[0]);
    close(sv[1]);
    close(p[0]);
    close(p[1]);

    /* a named unix socket, and an abstract one */
    char path[108];
    snprintf(path, sizeof path, "/tmp/pyqemu-net-%d.sock", (int)getpid());
    unlink(path);
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    strcpy(un.sun_path, path);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    socklen_t ulen = offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
    CHECK(bind(l, (struct sockaddr *)&un, ulen) == 0, "unix bind path");
    CHECK(listen(l, 1) == 0, "unix listen");
    int cl = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(cl, (struct sockaddr *)&un, ulen) == 0, "unix connect path");
    struct sockaddr_un acc;
    socklen_t alen = sizeof acc;
    int s = accept(l, (struct sockaddr *)&acc, &alen);
    printf("unix accept peer is unnamed = %d\n", s >= 0 && alen == sizeof(sa_family_t));
    struct sockaddr_un nm;
    socklen_t nl = sizeof nm;
    getsockname(l, (struct sockaddr *)&nm, &nl);
    printf("unix getsockname path ok = %d\n", nl == ulen && strcmp(nm.sun_path, path) == 0);
    write(cl, "unix!", 5);
    char b[8] = {0};
    printf("unix read = %zd %s\n", read(s, b, sizeof b - 1), b);
    close(s);
    close(cl);
    close(l);
    unlink(path);

    struct sockaddr_un ab = {.sun_family = AF_UNIX};
    int an = snprintf(ab.sun_path + 1, sizeof ab.sun_path - 1, "pyqemu-abstract-%d", (int)getpid());
    socklen_t ablen = offsetof(struct sockaddr_un, sun_path) + 1 + an;
    int d1 = socket(AF_UNIX, SOCK_DGRAM, 0), d2 = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(bind(d1, (struct sockaddr *)&ab, ablen) == 0, "abstract bind");
    nl = sizeof nm;
    getsockname(d1, (struct sockaddr *)&nm, &nl);
    printf("abstract getsockname ok = %d\n", nl == ablen && memcmp(&nm, &ab, ablen) == 0);
    printf("abstract sendto = %zd\n", sendto(d2, "abs", 3, 0, (struct sockaddr *)&ab, ablen));
    memset(b, 0, sizeof b);
    printf("abstract recv = %zd %s\n", recv(d1, b, sizeof b - 1, 0), b);
    close(d1);
    close(d2);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    echo(AF_INET, "tcp4");
    echo(AF_INET6, "tcp6");
    udp();
    options();
    unix_sockets(argc > 1 && strcmp(argv[1], "--ctrunc") == 0);
    printf("failures: %d\n", failures);
    return failures ? 1 : 0;
}
