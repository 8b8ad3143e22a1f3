// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The interposer: see inject.h. Built without _FORTIFY_SOURCE and without
 * _FILE_OFFSET_BITS, so that every variant of a function is a plain
 * definition of its own here.
 */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "inject.h"

#define BPF_CMDS 64

static const struct {
	const char *name;
	int err;
} fns[FAULT_NUM_FN] = {
	[FAULT_BPF] = { "bpf", ENOMEM },
	[FAULT_SOCKET] = { "socket", EMFILE },
	[FAULT_SETSOCKOPT] = { "setsockopt", ENOMEM },
	[FAULT_GETSOCKOPT] = { "getsockopt", EINVAL },
	[FAULT_MMAP] = { "mmap", ENOMEM },
	[FAULT_BIND] = { "bind", EBUSY },
	[FAULT_IOCTL] = { "ioctl", EPERM },
	[FAULT_SETNS] = { "setns", ENOMEM },
	[FAULT_OPEN] = { "open", EMFILE },
	[FAULT_FSTAT] = { "fstat", EIO },
	[FAULT_FLOCK] = { "flock", ENOLCK },
	[FAULT_SEND] = { "send", ENOBUFS },
	[FAULT_RECV] = { "recv", ENOBUFS },
	[FAULT_MALLOC] = { "malloc", ENOMEM },
	[FAULT_CALLOC] = { "calloc", ENOMEM },
	[FAULT_REALLOC] = { "realloc", ENOMEM },
	[FAULT_STRDUP] = { "strdup", ENOMEM },
};

static const char *const bpf_cmd_names[BPF_CMDS] = {
	[BPF_MAP_CREATE] = "MAP_CREATE",
	[BPF_MAP_LOOKUP_ELEM] = "MAP_LOOKUP_ELEM",
	[BPF_MAP_UPDATE_ELEM] = "MAP_UPDATE_ELEM",
	[BPF_MAP_DELETE_ELEM] = "MAP_DELETE_ELEM",
	[BPF_MAP_GET_NEXT_KEY] = "MAP_GET_NEXT_KEY",
	[BPF_PROG_LOAD] = "PROG_LOAD",
	[BPF_OBJ_PIN] = "OBJ_PIN",
	[BPF_OBJ_GET] = "OBJ_GET",
	[BPF_PROG_ATTACH] = "PROG_ATTACH",
	[BPF_PROG_DETACH] = "PROG_DETACH",
	[BPF_PROG_TEST_RUN] = "PROG_TEST_RUN",
	[BPF_PROG_GET_NEXT_ID] = "PROG_GET_NEXT_ID",
	[BPF_MAP_GET_NEXT_ID] = "MAP_GET_NEXT_ID",
	[BPF_PROG_GET_FD_BY_ID] = "PROG_GET_FD_BY_ID",
	[BPF_MAP_GET_FD_BY_ID] = "MAP_GET_FD_BY_ID",
	[BPF_OBJ_GET_INFO_BY_FD] = "OBJ_GET_INFO_BY_FD",
	[BPF_PROG_QUERY] = "PROG_QUERY",
	[BPF_RAW_TRACEPOINT_OPEN] = "RAW_TRACEPOINT_OPEN",
	[BPF_BTF_LOAD] = "BTF_LOAD",
	[BPF_BTF_GET_FD_BY_ID] = "BTF_GET_FD_BY_ID",
	[BPF_TASK_FD_QUERY] = "TASK_FD_QUERY",
	[BPF_MAP_LOOKUP_AND_DELETE_ELEM] = "MAP_LOOKUP_AND_DELETE_ELEM",
	[BPF_MAP_FREEZE] = "MAP_FREEZE",
	[BPF_BTF_GET_NEXT_ID] = "BTF_GET_NEXT_ID",
	[BPF_MAP_LOOKUP_BATCH] = "MAP_LOOKUP_BATCH",
	[BPF_MAP_LOOKUP_AND_DELETE_BATCH] = "MAP_LOOKUP_AND_DELETE_BATCH",
	[BPF_MAP_UPDATE_BATCH] = "MAP_UPDATE_BATCH",
	[BPF_MAP_DELETE_BATCH] = "MAP_DELETE_BATCH",
	[BPF_LINK_CREATE] = "LINK_CREATE",
	[BPF_LINK_UPDATE] = "LINK_UPDATE",
	[BPF_LINK_GET_FD_BY_ID] = "LINK_GET_FD_BY_ID",
	[BPF_LINK_GET_NEXT_ID] = "LINK_GET_NEXT_ID",
	[BPF_ENABLE_STATS] = "ENABLE_STATS",
	[BPF_ITER_CREATE] = "ITER_CREATE",
	[BPF_LINK_DETACH] = "LINK_DETACH",
	[BPF_PROG_BIND_MAP] = "PROG_BIND_MAP",
};

static struct {
	int target;		/* enum fault_fn, or -1 */
	int bpf_cmd;		/* -1: any command */
	long nth;
	int err;
	bool err_given;		/* err chosen by the caller, not by function */
	bool armed;
	bool injected;
	bool injected_now;
	const char *label;
	long count[FAULT_NUM_FN];
	long bpf_count[BPF_CMDS];
	char where[256];
	uintptr_t xdp_lo, xdp_hi; /* libxdp.so.1's text, 0: not loaded */
	/* The sanitizer runtimes' text: their own calls (say mmap while they
	 * symbolize a report) are neither counted nor failed.
	 */
	struct {
		uintptr_t lo, hi;
	} skip[8];
	int nskip;
} st = { .target = -1, .bpf_cmd = -1 };

/* Calls made by the hooks themselves (logging, dlsym) are not counted. */
static __thread int in_hook;

const char *fault_fn_name(enum fault_fn fn)
{
	return fn < FAULT_NUM_FN ? fns[fn].name : "?";
}

int fault_target(const char *fn, long nth, int err)
{
	const char *colon = strchr(fn, ':');
	size_t len = colon ? (size_t)(colon - fn) : strlen(fn);
	int i, c;

	for (i = 0; i < FAULT_NUM_FN; i++)
		if (strlen(fns[i].name) == len && !strncmp(fns[i].name, fn, len))
			break;
	if (i == FAULT_NUM_FN)
		return -EINVAL;
	st.bpf_cmd = -1;
	if (colon) {
		if (i != FAULT_BPF)
			return -EINVAL;
		for (c = 0; c < BPF_CMDS; c++)
			if (bpf_cmd_names[c] && !strcmp(bpf_cmd_names[c], colon + 1))
				break;
		if (c == BPF_CMDS)
			return -EINVAL;
		st.bpf_cmd = c;
	}
	st.target = i;
	st.nth = nth;
	st.err = err ? err : fns[i].err;
	st.err_given = err;
	return 0;
}

void fault_arm(const char *label)
{
	st.label = label;
	st.injected_now = false;
	st.armed = true;
}

void fault_disarm(void)
{
	st.armed = false;
}

bool fault_injected_now(void)
{
	return st.injected_now;
}

bool fault_injected(void)
{
	return st.injected;
}

long fault_count(enum fault_fn fn)
{
	return fn < FAULT_NUM_FN ? st.count[fn] : 0;
}

const char *fault_where(void)
{
	return st.where;
}

void fault_print_counts(FILE *f)
{
	int i;

	for (i = 0; i < FAULT_NUM_FN; i++)
		fprintf(f, "%s%s=%ld", i ? " " : "", fns[i].name, st.count[i]);
	for (i = 0; i < BPF_CMDS; i++)
		if (st.bpf_count[i])
			fprintf(f, " bpf:%s=%ld", bpf_cmd_names[i] ? bpf_cmd_names[i] : "?",
				st.bpf_count[i]);
	fputc('\n', f);
}

static int find_libs(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *name = info->dlpi_name;
	bool xdp, san;
	int i;

	(void)size;
	(void)data;
	if (!name)
		return 0;
	xdp = strstr(name, "/libxdp.so");
	san = strstr(name, "/libasan.so") || strstr(name, "/libubsan.so") ||
	      strstr(name, "/liblsan.so");
	for (i = 0; i < info->dlpi_phnum && (xdp || san); i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		if (xdp) {
			st.xdp_lo = lo;
			st.xdp_hi = lo + ph->p_memsz;
		} else if (st.nskip < (int)(sizeof(st.skip) / sizeof(st.skip[0]))) {
			st.skip[st.nskip].lo = lo;
			st.skip[st.nskip].hi = lo + ph->p_memsz;
			st.nskip++;
		}
	}
	return 0;
}

static bool from_sanitizer(const void *caller)
{
	int i;

	for (i = 0; i < st.nskip; i++)
		if ((uintptr_t)caller >= st.skip[i].lo && (uintptr_t)caller < st.skip[i].hi)
			return true;
	return false;
}

void fault_init(void)
{
	void *frames[4];

	in_hook++;
	/* The first backtrace() loads libgcc_s: do it now, not inside a hook. */
	backtrace(frames, 4);
	dl_iterate_phdr(find_libs, NULL);
	in_hook--;
}

/* Write without stdio (no allocation, no locks a hook might hold). */
static void say(const char *s)
{
	ssize_t r = write(STDERR_FILENO, s, strlen(s));

	(void)r;
}

/*
 * Count a call of FN (bpf command CMD, or -1) made by SYM and decide whether
 * it fails. On failure errno is set and the injection logged with a stack.
 */
static bool should_fail_from(enum fault_fn fn, int cmd, const char *sym, const void *caller,
			     int site_err)
{
	char line[384];
	void *frames[32];
	long n;
	int depth;

	if (!st.armed || in_hook || from_sanitizer(caller))
		return false;
	st.count[fn]++;
	if (fn == FAULT_BPF && cmd >= 0 && cmd < BPF_CMDS)
		st.bpf_count[cmd]++;
	if ((int)fn != st.target || st.injected || st.nth <= 0)
		return false;
	if (st.bpf_cmd >= 0) {
		if (cmd != st.bpf_cmd)
			return false;
		n = st.bpf_count[cmd];
	} else {
		n = st.count[fn];
	}
	if (n != st.nth)
		return false;

	in_hook++;
	st.injected = st.injected_now = true;
	if (site_err && !st.err_given)
		st.err = site_err;
	if (fn == FAULT_BPF)
		snprintf(st.where, sizeof(st.where), "bpf(%s) in %s",
			 cmd >= 0 && cmd < BPF_CMDS && bpf_cmd_names[cmd] ? bpf_cmd_names[cmd] : "?",
			 st.label ? st.label : "?");
	else
		snprintf(st.where, sizeof(st.where), "%s in %s", sym, st.label ? st.label : "?");
	snprintf(line, sizeof(line), "FAULT-INJECTED %s #%ld: %s -> %s\nFAULT-STACK-BEGIN\n",
		 fns[fn].name, n, st.where, strerrorname_np(st.err));
	say(line);
	depth = backtrace(frames, 32);
	backtrace_symbols_fd(frames, depth, STDERR_FILENO);
	say("FAULT-STACK-END\n");
	in_hook--;
	errno = st.err;
	return true;
}

/* In a hook: counts the call of its caller. */
#define should_fail(fn, cmd, sym) should_fail_from(fn, cmd, sym, __builtin_return_address(0), 0)
/* The same, failing with SITE_ERR where the function's usual errno cannot
 * happen at this call site.
 */
#define should_fail_with(fn, cmd, sym, site_err) \
	should_fail_from(fn, cmd, sym, __builtin_return_address(0), site_err)

/* The real function, looked up once. */
#define REAL(name) ({								\
	static typeof(&name) real_##name;					\
	if (!real_##name) {							\
		in_hook++;							\
		real_##name = (typeof(&name))dlsym(RTLD_NEXT, #name);		\
		in_hook--;							\
		if (!real_##name) {						\
			say("fault: no real " #name "\n");			\
			abort();						\
		}								\
	}									\
	real_##name;								\
})

long syscall(long nr, ...)
{
	long a[6];
	va_list ap;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == __NR_bpf && should_fail(FAULT_BPF, (int)a[0], "bpf"))
		return -1;
	return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int socket(int domain, int type, int protocol)
{
	if (should_fail(FAULT_SOCKET, -1, "socket"))
		return -1;
	return REAL(socket)(domain, type, protocol);
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	if (should_fail(FAULT_SETSOCKOPT, -1, "setsockopt"))
		return -1;
	return REAL(setsockopt)(fd, level, name, val, len);
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	if (should_fail(FAULT_GETSOCKOPT, -1, "getsockopt"))
		return -1;
	return REAL(getsockopt)(fd, level, name, val, len);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (should_fail(FAULT_MMAP, -1, "mmap"))
		return MAP_FAILED;
	return REAL(mmap)(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	if (should_fail(FAULT_MMAP, -1, "mmap64"))
		return MAP_FAILED;
	return REAL(mmap64)(addr, len, prot, flags, fd, off);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	/* EBUSY is the bind() of an AF_XDP socket to a queue that is taken.
	 * A netlink socket's bind() never gives EBUSY (the kernel retries its
	 * autobind), but it can run out of memory; libxdp reads an EBUSY from
	 * a detach as "attached through a bpf_link" and looks there instead.
	 */
	int site_err = addr && addr->sa_family == AF_NETLINK ? ENOMEM : 0;

	int ret, err;

	if (should_fail_with(FAULT_BIND, -1, "bind", site_err))
		return -1;
	ret = REAL(bind)(fd, addr, len);
	/* The kernel frees a closed socket's queue in deferred work: an
	 * EBUSY from binding an AF_XDP socket that was not injected is the
	 * previous run's socket, and the driver runs the scenario again.
	 */
	if (ret && errno == EBUSY && st.armed && addr && addr->sa_family == AF_XDP) {
		err = errno;
		say("EBUSY-NOT-INJECTED bind\n");
		errno = err;
	}
	return ret;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (should_fail(FAULT_IOCTL, -1, "ioctl"))
		return -1;
	return REAL(ioctl)(fd, req, arg);
}

int setns(int fd, int nstype)
{
	if (should_fail(FAULT_SETNS, -1, "setns"))
		return -1;
	return REAL(setns)(fd, nstype);
}

/* open and its variants: the mode is there only with O_CREAT or O_TMPFILE. */
#define OPEN_MODE(flags, last) ({						\
	mode_t m = 0;								\
	if ((flags) & (O_CREAT | __O_TMPFILE)) {				\
		va_list ap;							\
		va_start(ap, last);						\
		m = va_arg(ap, mode_t);						\
		va_end(ap);							\
	}									\
	m;									\
})

int open(const char *path, int flags, ...)
{
	mode_t mode = OPEN_MODE(flags, flags);

	if (should_fail(FAULT_OPEN, -1, "open"))
		return -1;
	return REAL(open)(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = OPEN_MODE(flags, flags);

	if (should_fail(FAULT_OPEN, -1, "open64"))
		return -1;
	return REAL(open64)(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = OPEN_MODE(flags, flags);

	if (should_fail(FAULT_OPEN, -1, "openat"))
		return -1;
	return REAL(openat)(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = OPEN_MODE(flags, flags);

	if (should_fail(FAULT_OPEN, -1, "openat64"))
		return -1;
	return REAL(openat64)(dirfd, path, flags, mode);
}

int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

int __open_2(const char *path, int flags)
{
	if (should_fail(FAULT_OPEN, -1, "__open_2"))
		return -1;
	return REAL(__open_2)(path, flags);
}

int __open64_2(const char *path, int flags)
{
	if (should_fail(FAULT_OPEN, -1, "__open64_2"))
		return -1;
	return REAL(__open64_2)(path, flags);
}

int __openat_2(int dirfd, const char *path, int flags)
{
	if (should_fail(FAULT_OPEN, -1, "__openat_2"))
		return -1;
	return REAL(__openat_2)(dirfd, path, flags);
}

int __openat64_2(int dirfd, const char *path, int flags)
{
	if (should_fail(FAULT_OPEN, -1, "__openat64_2"))
		return -1;
	return REAL(__openat64_2)(dirfd, path, flags);
}

int fstat(int fd, struct stat *buf)
{
	if (should_fail(FAULT_FSTAT, -1, "fstat"))
		return -1;
	return REAL(fstat)(fd, buf);
}

int fstat64(int fd, struct stat64 *buf)
{
	if (should_fail(FAULT_FSTAT, -1, "fstat64"))
		return -1;
	return REAL(fstat64)(fd, buf);
}

int flock(int fd, int op)
{
	if (should_fail(FAULT_FLOCK, -1, "flock"))
		return -1;
	return REAL(flock)(fd, op);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	if (should_fail(FAULT_SEND, -1, "send"))
		return -1;
	return REAL(send)(fd, buf, len, flags);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr,
	       socklen_t alen)
{
	if (should_fail(FAULT_SEND, -1, "sendto"))
		return -1;
	return REAL(sendto)(fd, buf, len, flags, addr, alen);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (should_fail(FAULT_SEND, -1, "sendmsg"))
		return -1;
	return REAL(sendmsg)(fd, msg, flags);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	if (should_fail(FAULT_RECV, -1, "recv"))
		return -1;
	return REAL(recv)(fd, buf, len, flags);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr,
		 socklen_t *alen)
{
	if (should_fail(FAULT_RECV, -1, "recvfrom"))
		return -1;
	return REAL(recvfrom)(fd, buf, len, flags, addr, alen);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	if (should_fail(FAULT_RECV, -1, "recvmsg"))
		return -1;
	return REAL(recvmsg)(fd, msg, flags);
}

#ifdef FAULT_WRAP_ALLOC
/* Linked with -Wl,--wrap=malloc,... : only the static objects (libxdp.a and
 * the test's own, which makes no allocation while armed) come here.
 */
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);

void *__wrap_malloc(size_t size)
{
	return should_fail(FAULT_MALLOC, -1, "malloc") ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return should_fail(FAULT_CALLOC, -1, "calloc") ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	return should_fail(FAULT_REALLOC, -1, "realloc") ? NULL : __real_realloc(p, size);
}

char *__wrap_strdup(const char *s)
{
	return should_fail(FAULT_STRDUP, -1, "strdup") ? NULL : __real_strdup(s);
}
#else
/* Interposed for the whole process (no ASan here): only calls whose return
 * address lies in libxdp.so.1 count. glibc's __libc_* need no dlsym.
 */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

static bool from_libxdp(const void *ret)
{
	return st.xdp_lo && (uintptr_t)ret >= st.xdp_lo && (uintptr_t)ret < st.xdp_hi;
}

void *malloc(size_t size)
{
	if (from_libxdp(__builtin_return_address(0)) && should_fail(FAULT_MALLOC, -1, "malloc"))
		return NULL;
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	if (from_libxdp(__builtin_return_address(0)) && should_fail(FAULT_CALLOC, -1, "calloc"))
		return NULL;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	if (from_libxdp(__builtin_return_address(0)) &&
	    should_fail(FAULT_REALLOC, -1, "realloc"))
		return NULL;
	return __libc_realloc(p, size);
}

char *strdup(const char *s)
{
	size_t len = strlen(s) + 1;
	char *p;

	if (from_libxdp(__builtin_return_address(0)) && should_fail(FAULT_STRDUP, -1, "strdup"))
		return NULL;
	p = __libc_malloc(len);
	return p ? memcpy(p, s, len) : NULL;
}
#endif
