/* tls_mem.h — an in-process TLS connection for the C drivers and benchmarks (tests/drivers,
 * tests/bench): a throwaway EC P-256 key and a self-signed certificate for a host name,
 * generated in memory (no files), a server SSL_CTX using them and a client SSL_CTX that
 * trusts exactly that certificate and verifies the peer, two SSL ends joined by a memory BIO
 * pair, and a loop that steps both ends through the handshake in one thread.
 *
 * Plain C11 + OpenSSL 3, no llmtap headers; header-only (static functions) so each driver
 * stays one file for the Makefile rule (static inline: a driver need not use them all). Every
 * function returns NULL on success or a short constant message naming what failed (the caller
 * prints it, with OpenSSL's error queue, and exits); nothing here prints or exits. */
#ifndef TLS_MEM_H
#define TLS_MEM_H

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stddef.h>
#include <stdio.h>

/** Generate a P-256 key and a self-signed X509v3 certificate for `host` (CN and
 *  subjectAltName DNS:`host`, serial 1, valid from a minute ago for a day, SHA-256). On
 *  success the caller owns *key_out (EVP_PKEY_free) and *cert_out (X509_free); on failure
 *  nothing is returned and the message says what failed. `host` must be a DNS name of at
 *  most 200 bytes. */
static inline const char *tls_mem_identity(const char *host, EVP_PKEY **key_out, X509 **cert_out)
{
    char san[256];
    if (snprintf(san, sizeof(san), "DNS:%s", host) >= (int)sizeof(san))
        return "host name too long";
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    const char *err = NULL;
    if (!key || !cert) {
        err = "key generation failed";
        goto fail;
    }
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)host, -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_set_pubkey(cert, key);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
    int added = ext && X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    if (!added) {
        err = "certificate extension failed";
        goto fail;
    }
    if (!X509_sign(cert, key, EVP_sha256())) {
        err = "certificate signing failed";
        goto fail;
    }
    *key_out = key;
    *cert_out = cert;
    return NULL;
fail:
    X509_free(cert);
    EVP_PKEY_free(key);
    return err;
}

/** Create the two contexts of a connection to `host`: *server_ctx (TLS_server_method) serves
 *  a fresh tls_mem_identity(host); *client_ctx (TLS_client_method) trusts only that
 *  certificate and verifies the server (SSL_VERIFY_PEER). The caller owns both
 *  (SSL_CTX_free); on failure neither is returned. */
static inline const char *tls_mem_contexts(const char *host, SSL_CTX **client_ctx,
                                           SSL_CTX **server_ctx)
{
    EVP_PKEY *key;
    X509 *cert;
    const char *err = tls_mem_identity(host, &key, &cert);
    if (err)
        return err;
    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    if (!sctx || !cctx || SSL_CTX_use_certificate(sctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey(sctx, key) != 1 ||
        X509_STORE_add_cert(SSL_CTX_get_cert_store(cctx), cert) != 1) {
        SSL_CTX_free(sctx);
        SSL_CTX_free(cctx);
        err = "TLS context setup failed";
    } else {
        SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
        *client_ctx = cctx;
        *server_ctx = sctx;
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    return err;
}

/** Create the two ends of one connection, not yet joined to any transport: *client from
 *  `client_ctx` (connect state, SNI `host`, the certificate must name `host`), *server from
 *  `server_ctx` (accept state). The caller owns both (SSL_free); on failure neither is
 *  returned. */
static inline const char *tls_mem_ends(SSL_CTX *client_ctx, SSL_CTX *server_ctx, const char *host,
                                       SSL **client, SSL **server)
{
    SSL *c = SSL_new(client_ctx), *s = SSL_new(server_ctx);
    if (!c || !s || SSL_set_tlsext_host_name(c, host) != 1 || SSL_set1_host(c, host) != 1) {
        SSL_free(c);
        SSL_free(s);
        return "SSL_new failed";
    }
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    *client = c;
    *server = s;
    return NULL;
}

/** Join `client` and `server` with a memory BIO pair (BIO_new_bio_pair) buffering
 *  `bufsize` bytes each way (0: OpenSSL's default, 17 KiB). Each SSL takes its BIO. */
static inline const char *tls_mem_join(SSL *client, SSL *server, size_t bufsize)
{
    BIO *cb, *sb;
    if (!BIO_new_bio_pair(&cb, bufsize, &sb, bufsize))
        return "BIO_new_bio_pair failed";
    SSL_set_bio(client, cb, cb);
    SSL_set_bio(server, sb, sb);
    return NULL;
}

/** Step both ends (SSL_do_handshake, client first, in turns, at most 100 rounds) until each
 *  has finished its side of the handshake. The transport must not block (a BIO pair, or
 *  non-blocking sockets): an end waiting for its peer returns SSL_ERROR_WANT_READ. */
static inline const char *tls_mem_handshake(SSL *client, SSL *server)
{
    int c = 0, s = 0;
    for (int rounds = 0; (c != 1 || s != 1) && rounds < 100; rounds++) {
        if (c != 1 && (c = SSL_do_handshake(client)) != 1 &&
            SSL_get_error(client, c) != SSL_ERROR_WANT_READ)
            return "client handshake failed";
        if (s != 1 && (s = SSL_do_handshake(server)) != 1 &&
            SSL_get_error(server, s) != SSL_ERROR_WANT_READ)
            return "server handshake failed";
    }
    return c == 1 && s == 1 ? NULL : "handshake did not finish";
}

/** The whole connection: tls_mem_ends, tls_mem_join(bufsize), tls_mem_handshake. On
 *  success the caller owns *client and *server (SSL_free); on failure neither is returned. */
static inline const char *tls_mem_connect(SSL_CTX *client_ctx, SSL_CTX *server_ctx,
                                          const char *host, size_t bufsize, SSL **client,
                                          SSL **server)
{
    SSL *c, *s;
    const char *err = tls_mem_ends(client_ctx, server_ctx, host, &c, &s);
    if (err)
        return err;
    if (!(err = tls_mem_join(c, s, bufsize)) && !(err = tls_mem_handshake(c, s))) {
        *client = c;
        *server = s;
        return NULL;
    }
    SSL_free(c);
    SSL_free(s);
    return err;
}

#endif
