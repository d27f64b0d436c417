/* mailgate.c - build/portal-mailgate (being written). */
#include "app.h"

struct config cfg;
struct tmpl_set *templates;
char asset_version[17] = "0";

int main(void)
{
	return 75;
}
