// OpenSSL (libssl, libcrypto) enters Vigil here and is imported only by the SecureMedia module.
#ifndef VIGIL_COPENSSL_SHIM_H
#define VIGIL_COPENSSL_SHIM_H
#include <stdint.h>
#include <sys/time.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

// Each of these is a macro in OpenSSL's headers (an SSL_ctrl, BIO_ctrl or variadic call
// underneath); Swift cannot call a macro, so each gets a one-line function of its own.

static inline int vigil_SSL_CTX_set_dtls12_only(SSL_CTX *ctx) {
    return SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) == 1
        && SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) == 1;
}

/// What a WebRTC peer's DTLS needs and nothing more: no session cache or tickets (a peer never
/// resumes; each call is a fresh handshake), no renegotiation (RFC 5764 keys are fixed for the
/// association), no MTU probing (there is no socket; the session sets its MTU itself).
static inline void vigil_SSL_CTX_set_webrtc_options(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
}

static inline long vigil_SSL_set_mtu(SSL *ssl, long mtu) { return SSL_set_mtu(ssl, mtu); }

/// 1 and the time left in `tv` while a DTLS handshake timer runs, 0 when none does.
static inline long vigil_DTLSv1_get_timeout(SSL *ssl, struct timeval *tv) { return DTLSv1_get_timeout(ssl, tv); }

/// Retransmits the last flight if the timer has expired: 1 if it did, 0 if nothing was due, -1 on error.
static inline long vigil_DTLSv1_handle_timeout(SSL *ssl) { return DTLSv1_handle_timeout(ssl); }

static inline long vigil_BIO_set_mem_eof_return(BIO *bio, long value) { return BIO_set_mem_eof_return(bio, value); }
static inline long vigil_BIO_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }
static inline void vigil_BIO_set_retry_read(BIO *bio) { BIO_set_retry_read(bio); }
static inline void vigil_BIO_clear_retry_flags(BIO *bio) { BIO_clear_retry_flags(bio); }

/// A fresh ECDSA key on P-256 (NIST secp256r1), the curve every WebRTC browser accepts.
static inline EVP_PKEY *vigil_EVP_EC_gen_P256(void) { return EVP_EC_gen("P-256"); }

static inline int vigil_X509_NAME_add_common_name(X509_NAME *name, const char *value) {
    return X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)value, -1, -1, 0);
}
#endif
