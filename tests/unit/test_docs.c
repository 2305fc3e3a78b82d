/* test_docs.c: every key boxnet knows is documented in boxnet.conf(5). */
#include <stdlib.h>

#include "conf.h"
#include "unit.h"

void test_docs(struct unit *u)
{
	FILE *f = fopen("docs/boxnet.conf.5", "r");
	CHECK(u, f != NULL, "docs/boxnet.conf.5 exists");
	if (!f)
		return;
	static char page[256 * 1024];
	size_t n = fread(page, 1, sizeof(page) - 1, f);
	page[n] = '\0';
	fclose(f);
	for (int k = 0; k < KEY_COUNT; k++) {
		char want[64];
		if (conf_keys[k].kind == KIND_GLOBAL)
			snprintf(want, sizeof(want), "%.*s", (int)sizeof(conf_keys[k].attr), conf_keys[k].attr);
		else
			snprintf(want, sizeof(want), "%s.", conf_kinds[conf_keys[k].kind].name);
		/* The page names the key as KIND.NAME.ATTRIBUTE, in whatever font macros. */
		bool found = false;
		for (const char *p = page; (p = strstr(p, want)) && !found; p++) {
			const char *eol = strchr(p, '\n');
			const char *attr = strstr(p, conf_keys[k].attr);
			found = attr && (!eol || attr < eol);
		}
		CHECK(u, found, "boxnet.conf(5) documents %s%s%s", conf_kinds[conf_keys[k].kind].name,
		      conf_keys[k].kind == KIND_GLOBAL ? "" : ".NAME.", conf_keys[k].attr);
	}
}
