// unique_ptr owners for the OpenSSL objects auth/ uses. Internal to auth/:
// no OpenSSL type appears in a public auth header.
#ifndef CARELEDGER_AUTH_INTERNAL_OPENSSL_PTR_H_
#define CARELEDGER_AUTH_INTERNAL_OPENSSL_PTR_H_

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace careledger::auth::internal {

struct OpenSslFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(ASN1_STRING* p) const { ASN1_STRING_free(p); }
};

template <typename T>
using OpenSslPtr = std::unique_ptr<T, OpenSslFree>;
using PkeyPtr = OpenSslPtr<EVP_PKEY>;

// OpenSSL's first queued error as text ("" when none), and clears the queue.
std::string OpenSslError();

}  // namespace careledger::auth::internal

#endif  // CARELEDGER_AUTH_INTERNAL_OPENSSL_PTR_H_
