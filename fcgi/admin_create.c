/* admin_create.c - `portal admin-create EMAIL [NAME]`: the first admin of a real install. The
 * password is read from stdin (one line), checked against the password rules, stored argon2id. */
#include "admin.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "password.h"

static const struct db_stmt create_stmts[] = {
	{"admin_create",
	 "INSERT INTO staff_users (email, name, password_hash, role) VALUES ($1, $2, $3, 'admin')"
	 " ON CONFLICT DO NOTHING RETURNING id",
	 3},
	{NULL, NULL, 0},
};

int admin_create_main(int argc, char **argv)
{
	if (argc < 3 || argc > 4 || !email_well_formed(argv[2])) {
		fprintf(stderr, "usage: PORTAL_CONFIG=portal.json portal admin-create EMAIL [NAME] < password\n");
		return 2;
	}
	const char *email = argv[2], *name = argc == 4 ? argv[3] : "";
	char pw[1024];
	if (!fgets(pw, sizeof pw, stdin)) {
		fprintf(stderr, "admin-create: no password on stdin\n");
		return 2;
	}
	pw[strcspn(pw, "\r\n")] = '\0';
	const char *why = password_rule_violation(pw, email);
	if (why) {
		fprintf(stderr, "admin-create: password refused: %s\n", why);
		return 2;
	}
	char hash[256];
	if (password_hash(pw, cfg.argon2_t_cost, cfg.argon2_m_cost_kib, cfg.argon2_parallelism, hash, sizeof hash) < 0) {
		fprintf(stderr, "admin-create: hashing failed\n");
		return 1;
	}
	memset(pw, 0, sizeof pw);
	db_register(create_stmts);
	if (db_connect(cfg.database) < 0) {
		fprintf(stderr, "admin-create: cannot connect to the database (see the log)\n");
		return 1;
	}
	const char *p[3] = {email, name, hash};
	char id[24] = "";
	int n = db_exec_value("admin_create", 3, p, id, sizeof id);
	db_disconnect();
	if (n < 0) {
		fprintf(stderr, "admin-create: the database refused the insert\n");
		return 1;
	}
	if (n == 0) {
		fprintf(stderr, "admin-create: a staff user with the email %s exists already\n", email);
		return 1;
	}
	printf("admin %s created (id %s)\n", email, id);
	return 0;
}
