// libssl (TLS), wrapped once. The function-like macros Swift cannot import live in CSSLShim.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
