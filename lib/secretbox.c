/* secretbox.c - AES-256-GCM secrets under the config's secret_key (see secretbox.h). */
#include "secretbox.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/hmac.h>
#include <string.h>

#include "base64.h"

static void derive_key(const char *key_text, unsigned char key[32])
{
	unsigned int n = 32;
	if (!HMAC(EVP_sha256(), key_text, (int)strlen(key_text), (const unsigned char *)"secretbox", 9, key, &n))
		memset(key, 0, 32); /* a zero key seals nothing anyone relies on: OpenSSL failed */
}

size_t secretbox_sealed_len(size_t n)
{
	return base64_encoded_len(SECRETBOX_NONCE + SECRETBOX_TAG + n, 0);
}

int secretbox_seal(const char *key_text, const char *context, const char *plain, char *out, size_t cap)
{
	size_t n = strlen(plain);
	if (n > SECRETBOX_MAX || cap < secretbox_sealed_len(n) + 1)
		return -1;
	unsigned char key[32], box[SECRETBOX_NONCE + SECRETBOX_TAG + SECRETBOX_MAX];
	unsigned char *nonce = box, *tag = box + SECRETBOX_NONCE, *ct = box + SECRETBOX_NONCE + SECRETBOX_TAG;
	int len = 0, fin = 0, aad = 0, rc = -1;
	if (RAND_bytes(nonce, SECRETBOX_NONCE) != 1)
		return -1;
	derive_key(key_text, key);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	if (x && EVP_EncryptInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, SECRETBOX_NONCE, NULL) == 1 &&
	    EVP_EncryptInit_ex(x, NULL, NULL, key, nonce) == 1 &&
	    EVP_EncryptUpdate(x, NULL, &aad, (const unsigned char *)context, (int)strlen(context)) == 1 &&
	    (n == 0 || EVP_EncryptUpdate(x, ct, &len, (const unsigned char *)plain, (int)n) == 1) &&
	    EVP_EncryptFinal_ex(x, ct + len, &fin) == 1 && (size_t)(len + fin) == n &&
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, SECRETBOX_TAG, tag) == 1) {
		base64_encode(box, SECRETBOX_NONCE + SECRETBOX_TAG + n, out, 0);
		rc = 0;
	}
	EVP_CIPHER_CTX_free(x);
	OPENSSL_cleanse(key, sizeof key);
	OPENSSL_cleanse(box, sizeof box);
	if (rc)
		out[0] = '\0';
	return rc;
}

int secretbox_open(const char *key_text, const char *context, const char *sealed, char *out, size_t cap)
{
	unsigned char key[32], box[SECRETBOX_NONCE + SECRETBOX_TAG + SECRETBOX_MAX];
	unsigned char plain[SECRETBOX_MAX + 1];
	size_t n = 0, sl = strlen(sealed);
	int len = 0, fin = 0, aad = 0, rc = -1;
	if (cap)
		out[0] = '\0';
	if (sl > base64_encoded_len(sizeof box, 0) || base64_decode(sealed, sl, box, sizeof box, &n, 0) < 0 ||
	    n < SECRETBOX_NONCE + SECRETBOX_TAG)
		return -1;
	size_t ctn = n - SECRETBOX_NONCE - SECRETBOX_TAG;
	if (ctn + 1 > cap)
		return -1;
	derive_key(key_text, key);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	if (x && EVP_DecryptInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, SECRETBOX_NONCE, NULL) == 1 &&
	    EVP_DecryptInit_ex(x, NULL, NULL, key, box) == 1 &&
	    EVP_DecryptUpdate(x, NULL, &aad, (const unsigned char *)context, (int)strlen(context)) == 1 &&
	    (ctn == 0 || EVP_DecryptUpdate(x, plain, &len, box + SECRETBOX_NONCE + SECRETBOX_TAG, (int)ctn) == 1) &&
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, SECRETBOX_TAG, box + SECRETBOX_NONCE) == 1 &&
	    EVP_DecryptFinal_ex(x, plain + len, &fin) == 1 && (size_t)(len + fin) == ctn &&
	    memchr(plain, '\0', ctn) == NULL) {
		memcpy(out, plain, ctn);
		out[ctn] = '\0';
		rc = 0;
	}
	EVP_CIPHER_CTX_free(x);
	OPENSSL_cleanse(key, sizeof key);
	OPENSSL_cleanse(plain, sizeof plain);
	if (rc && cap)
		OPENSSL_cleanse(out, cap), out[0] = '\0';
	return rc;
}
