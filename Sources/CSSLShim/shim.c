#include "CSSLShim.h"
#include <openssl/err.h>
#include <openssl/x509.h>
#include <string.h>

int kelpie_ssl_ctx_set_version_bounds(SSL_CTX *ctx, int min_version, int max_version) {
    if (min_version != 0 && SSL_CTX_set_min_proto_version(ctx, min_version) != 1) return 0;
    if (max_version != 0 && SSL_CTX_set_max_proto_version(ctx, max_version) != 1) return 0;
    return 1;
}

int kelpie_ssl_ctx_configure(SSL_CTX *ctx) {
    if (kelpie_ssl_ctx_set_version_bounds(ctx, TLS1_2_VERSION, TLS1_3_VERSION) != 1) return 0;
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF
                                 | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                              | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_read_ahead(ctx, 1);
    return 1;
}

void kelpie_ssl_ctx_set_session_cache(SSL_CTX *ctx, long size, long timeout_seconds) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx, size);
    SSL_CTX_set_timeout(ctx, timeout_seconds);
}

static int kelpie_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                              const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl;
    const kelpie_alpn_protocols *protocols = arg;
    const unsigned char *list = protocols->wire;
    unsigned int server_length = protocols->length;
    for (unsigned int i = 0; i < server_length; i += 1u + list[i]) {
        unsigned int name_length = list[i];
        for (unsigned int j = 0; j < inlen; j += 1u + in[j]) {
            if (j + 1u + in[j] > inlen) break;
            if (in[j] == name_length && memcmp(in + j + 1, list + i + 1, name_length) == 0) {
                *out = in + j + 1;
                *outlen = (unsigned char)name_length;
                return SSL_TLSEXT_ERR_OK;
            }
        }
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

void kelpie_ssl_ctx_set_alpn_protocols(SSL_CTX *ctx, const kelpie_alpn_protocols *protocols) {
    SSL_CTX_set_alpn_select_cb(ctx, kelpie_alpn_select, (void *)protocols);
}

int kelpie_ssl_ctx_set_groups(SSL_CTX *ctx, const char *groups) {
    return (int)SSL_CTX_set1_groups_list(ctx, groups);
}

int kelpie_ssl_error_is_key_mismatch(unsigned long error) {
    return ERR_GET_LIB(error) == ERR_LIB_X509 && ERR_GET_REASON(error) == X509_R_KEY_VALUES_MISMATCH;
}

int kelpie_ssl_session_reused(const SSL *ssl) {
    return SSL_session_reused(ssl);
}
