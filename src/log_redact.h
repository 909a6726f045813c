/*-------------------------------------------------------------------------
 *
 * log_redact.h
 *	  Hides the values of "password" keys of YAML and JSON texts (source
 *	  configurations given to add_source, alter_source, load_config) in
 *	  messages on their way to the server log.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_LOG_REDACT_H
#define CHAMELEON_LOG_REDACT_H

/*
 * A copy of text (palloc'd) where the value of every "password" key is
 * replaced by ********, or NULL when text has no such key.
 */
extern char *chameleon_redact_passwords(const char *text);

#endif							/* CHAMELEON_LOG_REDACT_H */
