/* A tiny static helper the isolation tests compile with the host's gcc and bind-mount read-only into containers:
 * each subcommand makes one system call an escaping app would make and prints "ok" or the errno's name. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(long rc) {
    if (rc == 0) { puts("ok"); return 0; }
    printf("%s\n", strerrorname_np(errno));
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) { fputs("usage: escape COMMAND [ARGS]\n", stderr); return 2; }
    const char *cmd = argv[1];
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!strcmp(cmd, "mount")) return report(mount("none", argv[2], "tmpfs", 0, NULL));
    if (!strcmp(cmd, "remount-rw")) return report(mount(NULL, argv[2], NULL, MS_REMOUNT | MS_BIND, NULL));
    if (!strcmp(cmd, "sethostname")) return report(sethostname(argv[2], strlen(argv[2])));
    if (!strcmp(cmd, "mknod")) return report(mknod(argv[2], S_IFCHR | 0666, makedev(1, 3)));
    if (!strcmp(cmd, "mkfifo")) return report(mknod(argv[2], S_IFIFO | 0666, 0));
    if (!strcmp(cmd, "init-module")) return report(syscall(SYS_init_module, "", 0UL, ""));
    if (!strcmp(cmd, "finit-module")) {
        int fd = open("/dev/null", O_RDONLY);
        return report(syscall(SYS_finit_module, fd, "", 0));
    }
    if (!strcmp(cmd, "unshare-user")) return report(unshare(CLONE_NEWUSER));
    if (!strcmp(cmd, "unshare-mount")) return report(unshare(CLONE_NEWNS));
    if (!strcmp(cmd, "ptrace")) return report(ptrace(PTRACE_ATTACH, (pid_t)atoi(argv[2]), NULL, NULL));
    if (!strcmp(cmd, "whoami")) {
        /* euid and the effective capabilities, from the kernel's own account */
        printf("euid=%d\n", (int)geteuid());
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "CapEff:", 7) || !strncmp(line, "CapBnd:", 7) || !strncmp(line, "NoNewPrivs:", 11)) fputs(line, stdout);
        return 0;
    }
    if (!strcmp(cmd, "forkbomb")) {
        /* fork children that wait, until fork fails; print how many there were and why it stopped */
        setpgid(0, 0); /* the children and this helper only: the kill below must not reach the shell */
        int n = 0;
        for (;;) {
            pid_t p = fork();
            if (p == 0) { pause(); _exit(0); }
            if (p < 0) { printf("forked=%d stopped=%s\n", n, strerrorname_np(errno)); break; }
            if (++n >= 100000) { printf("forked=%d stopped=never\n", n); break; }
        }
        kill(0, SIGKILL);
        return 0;
    }
    if (!strcmp(cmd, "alloc")) {
        /* touch N MiB, one page at a time, reporting progress */
        long mib = atol(argv[2]);
        for (long i = 0; i < mib; i++) {
            char *p = malloc(1 << 20);
            if (!p) { puts("malloc failed"); return 1; }
            for (int j = 0; j < (1 << 20); j += 4096) p[j] = 1;
            if (i % 16 == 0) printf("allocated %ld MiB\n", i);
        }
        puts("allocated all");
        return 0;
    }
    if (!strcmp(cmd, "spin")) { for (volatile unsigned long i = 0;; i++) ; }
#if defined(__x86_64__)
    /* getpid through the i386 entry point (a 32-bit program's way in): prints "ok" if it was let through. */
    if (!strcmp(cmd, "int80-getpid")) {
        long r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
        puts(r > 0 ? "ok" : "error");
        return 0;
    }
#endif
    fprintf(stderr, "unknown command %s\n", cmd);
    return 2;
}
