/* Versioned schema migrations shared by every backend (portable SQL). */
#ifndef MG_MIGRATIONS_H
#define MG_MIGRATIONS_H

struct migration {
	int version;
	const char *description;
	const char *sql;	/* statements separated by ";\n" */
};

extern const struct migration migrations[];

#endif
