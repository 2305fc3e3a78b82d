/* unit.h: a tiny test harness: CHECK prints one TAP-like line per assertion. */
#ifndef BOXNET_UNIT_H
#define BOXNET_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct unit {
	unsigned failed;
};

#define CHECK(u, cond, ...)                                              \
	do {                                                             \
		bool ok_ = (cond);                                       \
		printf("%s - ", ok_ ? "ok" : "not ok");                  \
		printf(__VA_ARGS__);                                     \
		printf("\n");                                            \
		if (!ok_) {                                              \
			(u)->failed++;                                   \
			printf("#   %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		}                                                        \
	} while (0)

#define CHECK_STR(u, got, want, ...)                                                      \
	do {                                                                              \
		const char *g_ = (got), *w_ = (want);                                     \
		CHECK(u, g_ && !strcmp(g_, w_), __VA_ARGS__);                             \
		if (!g_ || strcmp(g_, w_))                                                \
			printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)", w_); \
	} while (0)

void test_ip(struct unit *u);
void test_conf(struct unit *u);
void test_rules(struct unit *u);
void test_nft(struct unit *u);
void test_docs(struct unit *u);
void test_talk(struct unit *u);
void test_plan(struct unit *u);
void test_netlink(struct unit *u);

#endif
