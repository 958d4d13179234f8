// The parts of libssl that Swift's ClangImporter cannot import (function-like macros and a C ALPN
// callback), as plain functions. Everything else is used straight from CSSL.
#ifndef KELPIE_CSSLSHIM_H
#define KELPIE_CSSLSHIM_H
#include <openssl/ssl.h>

/// TLS 1.2 minimum, TLS 1.3 maximum; no compression, no renegotiation, no legacy server-side
/// workarounds; a peer's TCP FIN without close_notify reads as a clean end of stream (HTTP frames its
/// own messages); partial writes and moving write buffers (the caller retries from its own queue);
/// read-ahead (one read(2) per many records); buffers released while idle (memory per idle
/// connection). Returns 1 on success.
int kelpie_ssl_ctx_configure(SSL_CTX *ctx);

/// Bounds the protocol versions (TLS1_2_VERSION, ...); 0 leaves a bound as it is. Returns 1 on success.
int kelpie_ssl_ctx_set_version_bounds(SSL_CTX *ctx, int min_version, int max_version);

/// The server-side session cache: `size` sessions, each valid `timeout_seconds`. Tickets stay on.
void kelpie_ssl_ctx_set_session_cache(SSL_CTX *ctx, long size, long timeout_seconds);

/// ALPN protocol names in wire format (each name preceded by its length), in the server's order of
/// preference.
typedef struct kelpie_alpn_protocols {
    unsigned int length;
    unsigned char wire[255];
} kelpie_alpn_protocols;

/// Selects the first of `protocols` that the client also offers; a client that offers ALPN but none
/// of these gets a fatal no_application_protocol alert (RFC 7301). `protocols` must outlive `ctx`.
void kelpie_ssl_ctx_set_alpn_protocols(SSL_CTX *ctx, const kelpie_alpn_protocols *protocols);

/// Groups for key exchange, e.g. "X25519:P-256:P-384". Returns 1 on success.
int kelpie_ssl_ctx_set_groups(SSL_CTX *ctx, const char *groups);

/// 1 when the reason of the oldest queued OpenSSL error is "key values mismatch" (certificate and
/// private key do not belong together).
int kelpie_ssl_error_is_key_mismatch(unsigned long error);

/// True when a session was resumed (abbreviated handshake).
int kelpie_ssl_session_reused(const SSL *ssl);
#endif
