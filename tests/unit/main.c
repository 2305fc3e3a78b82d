/* main.c: runs every unit test; exit status 1 when any check failed. */
#include "unit.h"

int main(void)
{
	struct unit u = {0};
	test_ip(&u);
	test_conf(&u);
	test_rules(&u);
	test_nft(&u);
	test_netlink(&u);
	test_docs(&u);
	test_talk(&u);
	test_plan(&u);
	return u.failed != 0;
}
