/* main.c: boxnet's command line: a table of commands (up, down, status, show, check, plan) on
 * one config file. */
#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "conf.h"
#include "log.h"
#include "netns.h"
#include "plan.h"
#include "report.h"
#include "state.h"

#define DEFAULT_CONF "/etc/boxnet.conf"
/* One text, with or without the command's name (and a space): "boxnet: up needs root ...". */
#define NEEDS_ROOT "boxnet: %s%sneeds root (CAP_NET_ADMIN and CAP_SYS_ADMIN)\n"

enum { EXIT_KERNEL = 1, EXIT_CONFIG = 2, EXIT_NOT_UP = 3 };

enum cmd { CMD_UP, CMD_DOWN, CMD_STATUS, CMD_SHOW, CMD_CHECK, CMD_PLAN };

struct run {
	const char *file;
	enum cmd cmd;
	bool verbose, json, all;
	struct log *err;	/* where messages go */
};

/* What a command needs, and which options it takes. */
enum { NEEDS_KERNEL = 1, TAKES_JSON = 2, TAKES_ALL = 4 };

struct command {
	char name[7];		/* in the row, with flags: 24 bytes a command */
	uint8_t flags;
	int (*run)(const struct config *c, const struct run *r);
	const char *help;	/* its second line indented under the first, as usage prints it */
};

static int run_kernel(const struct config *c, const struct run *r);
static int run_check(const struct config *c, const struct run *r);
static int run_plan(const struct config *c, const struct run *r);

static const struct command commands[] = {
	[CMD_UP] = {"up", NEEDS_KERNEL, run_kernel, "build the box; running it again changes nothing"},
	[CMD_DOWN] = {"down", NEEDS_KERNEL | TAKES_ALL, run_kernel,
		      "remove what boxnet built for this config, and nothing else;\n          "
		      "with --all, all that carries boxnet's marks, without a config"},
	[CMD_STATUS] = {"status", NEEDS_KERNEL | TAKES_JSON, run_kernel,
			"print what up would change, as ip and nft commands (-j: each\n          "
			"object's state, as JSON); exit 0 when nothing, 3 when something"},
	[CMD_SHOW] = {"show", NEEDS_KERNEL, run_kernel,
		      "each segment, its namespaces and addresses, and whether they\n          "
		      "are as configured; exits as status"},
	[CMD_CHECK] = {"check", 0, run_check, "validate the config only"},
	[CMD_PLAN] = {"plan", TAKES_JSON, run_plan,
		      "print what up does on a clean box, as ip and nft commands\n          "
		      "(-j: the operations, as JSON)"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: boxnet [-c FILE] [-j] COMMAND\n"
		     "       boxnet down --all\n"
		     "\n"
		     "Build the box's network from FILE (default " DEFAULT_CONF ", - for standard input).\n"
		     "\n"
		     "commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-7s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\n"
		     "options:\n"
		     "  -c, --config FILE   the config file\n"
		     "  -j, --json          status and plan: print JSON\n"
		     "  -a, --all           down: remove everything boxnet's marks are on\n"
		     "  -v, --verbose       say what was done, and how long it took\n"
		     "  -h, --help          this text\n"
		     "  -V, --version       the version\n"
		     "\n"
		     "exit status: 0 done; 1 the box could not be built or removed (the kernel refused,\n"
		     "or something boxnet did not create is in the way); 2 bad config or usage;\n"
		     "3 (status, show) the box is not as configured\n");
}

/* up, down, status and show act on the network and its namespaces: without these
 * capabilities, one clear message rather than the first refusal (the lock file, setns). */
static bool has_caps(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {0};
	if (syscall(SYS_capget, &h, d) < 0)
		return true;	/* unknown: the kernel will say */
	return (d[0].effective >> CAP_NET_ADMIN & 1) && (d[0].effective >> CAP_SYS_ADMIN & 1);
}

/* Two boxnets at once (restart racing reload) would trip over each other's objects. status
 * only reads: it waits for a running up, but creates nothing, and goes on without a lock
 * file (a read-only /run). */
static NOINLINE int take_lock(bool create)
{
	int err = create ? make_run_dir() : 0, fd;
	if (err)
		return err == -ENOENT ? -1 : err;
	fd = open(LOCK_FILE, (create ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return errno == ENOENT || !create ? -1 : -errno;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			err = -errno;
			close(fd);
			return err;
		}
	}
	return fd;
}

/* A socket per namespace (down: a handle too, for its undo), two for each namespace that up
 * may find stale, and a few more: as many files as that, raised to before the first change
 * (as root, past the hard limit of boot, 4096), or refused then. */
static int raise_file_limit(const struct config *c, const struct run *r)
{
	bool down = r->cmd == CMD_DOWN && !r->all;
	unsigned long long need = 16 + c->objs[KIND_NS].n * (down ? 2 : 1);
	DIR *dir = down ? NULL : opendir(NETNS_DIR);
	for (struct dirent *e; dir && (e = readdir(dir));)
		need += e->d_name[0] != '.' && !conf_ns(c, e->d_name) ? 2 : 0;
	if (dir)
		closedir(dir);
	struct rlimit now, want;
	if (prlimit(0, RLIMIT_NOFILE, NULL, &now) < 0)
		return 0;
	want = now;
	want.rlim_cur = now.rlim_max;
	if (want.rlim_cur < need)
		want.rlim_cur = want.rlim_max = need;
	if (now.rlim_cur < want.rlim_cur && prlimit(0, RLIMIT_NOFILE, &want, NULL) < 0 && now.rlim_cur < need) {
		log_say(r->err, "boxnet: needs %llu open files; the limit is %llu (raise it with ulimit -n, "
			"or run boxnet with CAP_SYS_RESOURCE)\n", need, (unsigned long long)now.rlim_max);
		return -1;
	}
	return 0;
}

/* This program's own peak resident memory in KiB, 0 if unknown. Not getrusage(): its
 * ru_maxrss also counts the shell that forked us, from before the exec. */
static unsigned long peak_kib(void)
{
	char buf[2048];
	file_io("/proc/self/status", O_RDONLY | O_CLOEXEC, buf, sizeof(buf));
	for (const char *v = buf; v; v = strchr(v, '\n'), v = v ? v + 1 : NULL)
		if (!strncmp(v, "VmHWM:", 6))
			return strtoul(v + 6, NULL, 10);	/* "VmHWM:\t    1234 kB" */
	return 0;
}

/* Microseconds since t0; integer, so that no floating-point printf is linked in. */
static long long us_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long long)(t1.tv_sec - t0->tv_sec) * 1000000 + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

static void print_lines(struct log *out, const char *prefix, const char *text)
{
	for (const char *nl; (nl = strchr(text, '\n')); text = nl + 1)
		log_say(out, "boxnet: %s%.*s\n", prefix, (int)(nl - text), text);
}

/* Adds " NAME" to out when the host lacks name, an interface the config names and does not
 * make; link: a namespace's link, which with a record was adopted, and is found by its
 * address wherever it went. */
static void missing_one(const struct config *c, const char *records, const char *name, bool link, struct sbuf *out)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", records, name);
	if (name[0] && !conf_vlan(c, name) && !if_nametoindex(name) && !(link && access(path, F_OK) == 0))
		sbuf_addf(out, " %s", name);
}

/* The interfaces the host lacks of those the config names: ports, parents of macvlans and
 * vlans, namespaces' links. */
static void missing_links(const struct config *c, const char *records, struct sbuf *out)
{
	for (size_t i = 0; i < c->objs[KIND_BRIDGE].n; i++)
		for (unsigned j = 0; j < conf_bridge_at(c, i)->ports.n; j++)
			missing_one(c, records, conf_bridge_at(c, i)->ports.v[j], false, out);
	for (size_t i = 0; i < c->objs[KIND_NS].n; i++) {
		missing_one(c, records, conf_ns_at(c, i)->macvlan, false, out);
		missing_one(c, records, conf_ns_at(c, i)->link, true, out);
	}
	for (size_t i = 0; i < c->objs[KIND_VLAN].n; i++)
		missing_one(c, records, conf_vlan_at(c, i)->link, false, out);
}

/* Missing interfaces: an error at once; with wait = SECONDS, waited for by listening to the
 * kernel's link events (subscribed before the first look, so none is missed), each event a
 * new look, until the time is up. */
static int await_links(const struct config *c, const struct run *r)
{
	struct sbuf miss = {0};
	struct stat self;
	char records[64];
	struct timespec t0;
	struct mnl_socket *nl = c->wait ? mnl_socket_open(NETLINK_ROUTE) : NULL;
	int ret = 0;
	if (nl && mnl_socket_bind(nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl);
		nl = NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(records, sizeof(records), "%s.%llu", ADOPT_DIR,
		 stat("/proc/self/ns/net", &self) ? 0ULL : (unsigned long long)self.st_ino);
	for (;;) {
		miss.len = 0;
		missing_links(c, records, &miss);
		long long left = (long long)c->wait * 1000 - us_since(&t0) / 1000;
		if (!miss.len || !nl || left <= 0)
			break;
		struct pollfd pfd = {.fd = mnl_socket_get_fd(nl), .events = POLLIN};
		if (poll(&pfd, 1, (int)left) > 0) {
			char buf[8192];
			while (recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				;	/* which link changed does not matter: all are looked at again */
		}
	}
	if (miss.len) {
		bool many = strchr(miss.buf + 1, ' ');
		log_say(r->err, "boxnet: missing interface%s:%s (the config names %s; %s)\nboxnet: nothing was changed\n",
			many ? "s" : "", sbuf_str(&miss), many ? "them" : "it",
			c->wait ? "waited for wait's seconds" : "wait = SECONDS waits for them");
		ret = -1;
	}
	if (nl)
		mnl_socket_close(nl);
	sbuf_free(&miss);
	return ret;
}

/* up, down, status and show: read the kernel's state, plan, then apply or print. down --all
 * is up with an empty config: all that carries boxnet's mark is stale, and goes. */
static int run_kernel(const struct config *c, const struct run *r)
{
	struct state st;
	struct plan p = {0};
	struct talk_error why = {0};
	struct timespec t0;
	int ret = EXIT_KERNEL, lock;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Namespaces are reached through /proc/self: without it, all else would fail obscurely. */
	if (access("/proc/self", F_OK) < 0) {
		log_say(r->err, "boxnet: /proc is not mounted\n");
		return EXIT_KERNEL;
	}
	bool reads = r->cmd == CMD_STATUS || r->cmd == CMD_SHOW, down = r->cmd == CMD_DOWN && !r->all;
	lock = take_lock(!reads);
	if (lock < -1) {
		log_say(r->err, "boxnet: cannot lock %s: %s\n", LOCK_FILE, strerror(-lock));
		return EXIT_KERNEL;
	}
	if (raise_file_limit(c, r) < 0 || (r->cmd == CMD_UP && !r->all && await_links(c, r) < 0))
		goto out_lock;
	if (state_init(&st, c) < 0) {
		log_say(r->err, "boxnet: out of memory\n");
		goto out_lock;
	}
#ifdef BOXNET_FAULTS
	/* Test builds: BOXNET_FAIL_AT=N fails the Nth kernel operation, BOXNET_KILL_AT=N dies
	 * there; BOXNET_COUNT_OPS=1 says how many there were. */
	const char *fail = getenv("BOXNET_FAIL_AT"), *kill = getenv("BOXNET_KILL_AT");
	struct fault fault = {.fail_at = strtoul(kill ? kill : fail ? fail : "0", NULL, 10), .kill = kill};
	st.fault = &fault;
#endif
	int err = state_read(&st, c, !down, &why);
	if (err) {
		log_say(r->err, "boxnet: cannot read the kernel's network state: %s%s%s%s\n", strerror(-err),
			why.text[0] ? " (kernel: " : "", why.text, why.text[0] ? ")" : "");
		if (err == -EPERM || err == -EACCES)
			log_say(r->err, NEEDS_ROOT, "", "");
		goto out;
	}
	if ((down ? plan_down(&p, c, &st) : plan_up(&p, c, &st)) < 0) {
		log_say(r->err, "boxnet: out of memory\n");
		goto out;
	}
	if (reads && r->json)
		report_status_json(c, &st, &p, stdout);
	else if (r->cmd == CMD_SHOW)
		report_show(c, &st, &p, stdout);
	if (p.nconflicts && r->all) {
		/* No config: nothing is wanted, so only a table of that name that is not boxnet's. */
		print_lines(r->err, "note: left alone: ", sbuf_str(&p.conflicts));
	} else if (p.nconflicts) {
		print_lines(r->err, "", sbuf_str(&p.conflicts));
		if (!reads)
			log_say(r->err, "boxnet: nothing was changed\n");
		goto out;
	}
	print_lines(r->err, "note: ", sbuf_str(&p.notes));
	if (r->cmd != CMD_DOWN) {
		/* Another table's drop wins over boxnet's accept: said, never changed, and no
		 * failure (the box is built as configured). */
		struct sbuf warn = {0};
		nft_check_others(&st.table, c->segs, c->nsegs, c->uplink, &warn);
		print_lines(r->err, "warning: ", sbuf_str(&warn));
		sbuf_free(&warn);
	}
	/* Not an error: at boot the uplink may come later, and the rules match it by name; so
	 * up stays silent, and status says it. */
	bool no_uplink = reads && c->uplink[0] && !state_link(&st.host, c->uplink);
	if (no_uplink)
		log_say(r->err, "boxnet: note: the uplink %s is missing: nothing leaves the box until it appears\n",
			c->uplink);
	if (reads) {
		/* The exit status says whether up would change something; it cannot make an uplink. */
		ret = p.n ? EXIT_NOT_UP : 0;
		if (r->json || r->cmd == CMD_SHOW)
			goto out;
		if (p.n) {
			if (plan_print(&p, c, "what 'boxnet up' would change", stdout) < 0) {
				log_say(r->err, "boxnet: out of memory\n");
				ret = EXIT_KERNEL;
			}
		} else {
			/* fprintf() and fputs(), as everywhere else: printf() and puts() would be
			 * linked in for these lines alone. */
			if (no_uplink)
				fprintf(stdout, "boxnet: the box is built as configured, but its uplink %s is missing\n",
					c->uplink);
			else
				fputs("boxnet: the box is up as configured\n", stdout);
			ret = 0;
		}
		report_adopted(c, &st, &p, stdout);
		goto out;
	}
	if (apply(c, &st, &p, r->err) == 0) {
		ret = 0;
		if (r->verbose) {
			long long us = us_since(&t0);
			log_say(r->err, "boxnet: %s: %zu changes in %lld.%lld ms, peak memory %lu KiB\n",
				commands[r->cmd].name, p.n, us / 1000, us % 1000 / 100, peak_kib());
		}
	}
out:
#ifdef BOXNET_FAULTS
	if (getenv("BOXNET_COUNT_OPS"))
		fprintf(stderr, "boxnet: test hook: %lu operations\n", fault.count);
#endif
	plan_free(&p);
	state_free(&st);
out_lock:
	if (lock >= 0)
		close(lock);
	return ret;
}

static int run_check(const struct config *c, const struct run *r)
{
	(void)c;
	(void)r;
	return 0;
}

static int run_plan(const struct config *c, const struct run *r)
{
	struct state st;
	struct plan p = {0};
	int ret = EXIT_KERNEL;
	if (state_init(&st, c) == 0 && plan_up(&p, c, &st) == 0 &&
	    (r->json ? report_plan_json(&p, stdout)
		     : plan_print(&p, c, "what 'boxnet up' does on a clean box", stdout)) == 0)
		ret = fflush(stdout) == 0 ? 0 : EXIT_KERNEL;
	else
		fprintf(stderr, "boxnet: out of memory\n");
	plan_free(&p);
	state_free(&st);
	return ret;
}

/* Reads the command line into r. Returns -1 for bad usage, 1 when done (-h, --version). */
static int parse_args(int argc, char **argv, struct run *r)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"json", no_argument, NULL, 'j'},
		{"all", no_argument, NULL, 'a'},
		{0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "c:hvVja", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			r->file = optarg;
			break;
		case 'v':
			r->verbose = true;
			break;
		case 'j':
			r->json = true;
			break;
		case 'a':
			r->all = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			fputs("boxnet " BOXNET_VERSION "\n", stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, optind == argc ? "boxnet: no command given\n" : "boxnet: too many arguments\n");
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[optind], commands[i].name))
			continue;
		r->cmd = (enum cmd)i;
		if ((r->json && !(commands[i].flags & TAKES_JSON)) || (r->all && !(commands[i].flags & TAKES_ALL))) {
			fprintf(stderr, "boxnet: %s takes no %s\n", commands[i].name, r->json ? "-j" : "--all");
			return -1;
		}
		return 0;
	}
	fprintf(stderr, "boxnet: unknown command '");
	put_escaped(stderr, argv[optind]);
	fprintf(stderr, "'\n");
	return -1;
}

int main(int argc, char **argv)
{
	struct run r = {.file = DEFAULT_CONF};
	struct config c = {0};
	struct diag d = {0};
	/* Started with 0, 1 or 2 closed, the lock file or a socket would take its place and get
	 * what is printed there. poll() tells the closed ones (POLLNVAL), as musl's start-up does
	 * for setuid programs; filled lowest first, each gets its place back. */
	struct pollfd std[3] = {{.fd = 0}, {.fd = 1}, {.fd = 2}};
	if (poll(std, 3, 0) < 0)
		return EXIT_KERNEL;
	for (int fd = 0; fd < 3; fd++)
		if ((std[fd].revents & POLLNVAL) && open("/dev/null", O_RDWR) < 0 && open("/", O_RDONLY) < 0)
			return EXIT_KERNEL;
	/* A closed pipe fails a message's write; it must not kill boxnet midway. Blocked, not
	 * ignored: the same EPIPE, without sigaction()'s 700 bytes in a static build; boxnet
	 * runs no other program that could inherit the mask. */
	sigset_t sigpipe;
	sigemptyset(&sigpipe);
	sigaddset(&sigpipe, SIGPIPE);
	sigprocmask(SIG_BLOCK, &sigpipe, NULL);
	int ret = parse_args(argc, argv, &r);
	if (ret) {
		if (ret < 0)
			usage(stderr);
		return ret < 0 ? EXIT_CONFIG : 0;
	}
	/* Copies to the kernel log are for what init runs at boot: up and down. */
	struct log log;
	log_open(&log, r.cmd == CMD_UP || r.cmd == CMD_DOWN);
	r.err = &log;
	const struct command *cmd = &commands[r.cmd];
	/* Root acting on the kernel reads only a file that no one but root can have written. */
	bool strict = geteuid() == 0 && (cmd->flags & NEEDS_KERNEL);
	if ((cmd->flags & NEEDS_KERNEL) && !has_caps()) {
		log_say(r.err, NEEDS_ROOT, cmd->name, " ");
		ret = EXIT_KERNEL;
	} else if (r.all) {
		/* down --all: no config; an empty one wants nothing, so all of boxnet's goes. */
		c.file = "(no config)";
		conf_parse(&c, "", 0, &d);
		ret = run_kernel(&c, &r);
	} else if (conf_load(&c, r.file, strict, &d)) {
		diag_print(&d, r.err);
		ret = EXIT_CONFIG;
	} else {
		ret = cmd->run(&c, &r);
	}
	diag_free(&d);
	conf_free(&c);
	log_close(&log);
	return ret;
}
