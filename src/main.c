/* main.c: boxnet's command line: check, plan, up and down on one config file. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "apply.h"
#include "conf.h"
#include "plan.h"
#include "state.h"

#define DEFAULT_CONF "/etc/boxnet.conf"

enum { EXIT_KERNEL = 1, EXIT_CONFIG = 2 };

static void usage(FILE *out)
{
	fprintf(out,
		"usage: boxnet [-c FILE] COMMAND\n"
		"\n"
		"Build the box's network from FILE (default " DEFAULT_CONF ", - for standard input).\n"
		"\n"
		"commands:\n"
		"  up      build the box; running it again changes nothing\n"
		"  down    remove what boxnet built for this config, and nothing else\n"
		"  check   validate the config only\n"
		"  plan    print what up does on a clean box, as ip and nft commands\n"
		"\n"
		"options:\n"
		"  -c, --config FILE   the config file\n"
		"  -h, --help          this text\n"
		"      --version       the version\n"
		"\n"
		"exit status: 0 done; 1 the box could not be built or removed (the kernel refused,\n"
		"or something boxnet did not create is in the way); 2 bad config or usage\n");
}

/* Two boxnets at once (restart racing reload) would trip over each other's objects. */
static int take_lock(void)
{
	int err = make_run_dir();
	if (err)
		return err == -ENOENT ? -1 : err;
	int fd = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return errno == ENOENT ? -1 : -errno;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			err = -errno;
			close(fd);
			return err;
		}
	}
	return fd;
}

static int run_kernel(const struct config *c, bool up)
{
	struct state st;
	struct plan p = {0};
	struct talk_error why = {0};
	int ret = EXIT_KERNEL, lock = take_lock();

	if (lock < -1) {
		fprintf(stderr, "boxnet: cannot lock %s: %s\n", LOCK_FILE, strerror(-lock));
		return EXIT_KERNEL;
	}
	if (state_init(&st, c) < 0) {
		fprintf(stderr, "boxnet: out of memory\n");
		goto out_lock;
	}
	int err = state_read(&st, c, &why);
	if (err) {
		fprintf(stderr, "boxnet: cannot read the kernel's network state: %s%s%s%s\n", strerror(-err),
			why.text[0] ? " (kernel: " : "", why.text, why.text[0] ? ")" : "");
		if (err == -EPERM || err == -EACCES)
			fprintf(stderr, "boxnet: up and down need root (CAP_NET_ADMIN and CAP_SYS_ADMIN)\n");
		goto out;
	}
	if ((up ? plan_up(&p, c, &st) : plan_down(&p, c, &st)) < 0) {
		fprintf(stderr, "boxnet: out of memory\n");
		goto out;
	}
	if (p.nconflicts) {
		fprintf(stderr, "%s", sbuf_str(&p.conflicts));
		fprintf(stderr, "boxnet: nothing was changed\n");
		goto out;
	}
	const char *notes = sbuf_str(&p.notes);
	for (const char *nl; (nl = strchr(notes, '\n')); notes = nl + 1)
		fprintf(stderr, "boxnet: note: %.*s\n", (int)(nl - notes), notes);
	if (apply(c, &st, &p, stderr) == 0)
		ret = 0;
out:
	plan_free(&p);
	state_free(&st);
out_lock:
	if (lock >= 0)
		close(lock);
	return ret;
}

static int run_plan(const struct config *c)
{
	struct state st;
	struct plan p = {0};
	int ret = EXIT_KERNEL;
	if (state_init(&st, c) == 0 && plan_up(&p, c, &st) == 0) {
		plan_print(&p, c, stdout);
		ret = fflush(stdout) == 0 ? 0 : EXIT_KERNEL;
	} else {
		fprintf(stderr, "boxnet: out of memory\n");
	}
	plan_free(&p);
	state_free(&st);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	const char *file = DEFAULT_CONF;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("boxnet %s\n", BOXNET_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_CONFIG;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, optind == argc ? "boxnet: no command given\n" : "boxnet: too many arguments\n");
		usage(stderr);
		return EXIT_CONFIG;
	}
	const char *cmd = argv[optind];
	if (strcmp(cmd, "up") && strcmp(cmd, "down") && strcmp(cmd, "check") && strcmp(cmd, "plan")) {
		fprintf(stderr, "boxnet: unknown command '%s'\n", cmd);
		usage(stderr);
		return EXIT_CONFIG;
	}

	struct config c = {0};
	struct diag d = {0};
	int ret = 0;
	if (conf_load(&c, file, &d)) {
		diag_print(&d, stderr);
		ret = EXIT_CONFIG;
	} else if (!strcmp(cmd, "plan")) {
		ret = run_plan(&c);
	} else if (!strcmp(cmd, "up") || !strcmp(cmd, "down")) {
		ret = run_kernel(&c, !strcmp(cmd, "up"));
	}
	diag_free(&d);
	conf_free(&c);
	return ret;
}
