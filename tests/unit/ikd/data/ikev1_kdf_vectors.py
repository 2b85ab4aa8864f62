#!/usr/bin/env python3
"""Independent IKEv1 (RFC 2409) key-schedule vectors for test_ike_crypto.c.

Written straight from RFC 2409 sections 5, 5.5 and appendix B with Python's hmac and
hashlib (and the 'cryptography' package for AES/3DES-CBC), sharing no code with ikd.
The inputs are fixed byte patterns; the outputs are printed as C initialisers that
test_ike_crypto.c hard-codes. Re-run to check:  python3 ikev1_kdf_vectors.py
"""
import hashlib
import hmac

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
          "sha512": hashlib.sha512}


def pattern(n, seed):
    """n bytes: (seed + 7*i) mod 256, so the test can build the same inputs in C."""
    return bytes((seed + 7 * i) & 0xFF for i in range(n))


def prf(h, key, *parts):
    return hmac.new(key, b"".join(parts), HASHES[h]).digest()


def hsh(h, *parts):
    return HASHES[h](b"".join(parts)).digest()


def cipher_key(h, skeyid_e, key_len):
    """RFC 2409 appendix B: truncate, or K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1)."""
    if len(skeyid_e) >= key_len:
        return skeyid_e[:key_len]
    k = prf(h, skeyid_e, b"\x00")
    out = k
    while len(out) < key_len:
        k = prf(h, skeyid_e, k)
        out += k
    return out[:key_len]


def keymat(h, skeyid_d, gqm, proto, spi, ni, nr, length):
    seed = gqm + bytes([proto]) + spi + ni + nr
    k = prf(h, skeyid_d, seed)
    out = k
    while len(out) < length:
        k = prf(h, skeyid_d, k + seed)
        out += k
    return out[:length]


def cbc(name, key, iv, data):
    algo = algorithms.AES(key) if name.startswith("aes") else None
    if algo is None:
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
        algo = TripleDES(key)
    enc = Cipher(algo, modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def c_hex(name, data):
    body = ", ".join("0x%02x" % b for b in data)
    return "static const uint8_t %s[%d] = { %s };" % (name, len(data), body)


CASES = (  # (tag, prf/hash, cipher, key length, block length)
    ("sha1_aes256", "sha1", "aes256", 32, 16),
    ("sha256_aes128", "sha256", "aes128", 16, 16),
    ("sha1_3des", "sha1", "3des", 24, 8),
    ("sha384_aes256", "sha384", "aes256", 32, 16),
)


def main():
    psk = b"l2sec test pre-shared key"
    ni, nr = pattern(32, 1), pattern(24, 2)
    gxi, gxr, gxy = pattern(256, 3), pattern(256, 4), pattern(256, 5)
    cky_i, cky_r = pattern(8, 6), pattern(8, 7)
    sai_b, idii_b, idir_b = pattern(52, 8), pattern(8, 9), pattern(12, 10)
    msgid, spi, gqm = 0x11223344, bytes.fromhex("c0ffee01"), pattern(128, 11)
    rest = pattern(60, 12)         # the Quick Mode message after its HASH payload
    plain = pattern(48, 13)        # a body to encrypt (multiple of both block sizes)
    mid = msgid.to_bytes(4, "big")
    for tag, h, ciph, klen, blen in CASES:
        skeyid = prf(h, psk, ni, nr)
        skeyid_sig = prf(h, ni + nr, gxy)
        d = prf(h, skeyid, gxy, cky_i, cky_r, b"\x00")
        a = prf(h, skeyid, d, gxy, cky_i, cky_r, b"\x01")
        e = prf(h, skeyid, a, gxy, cky_i, cky_r, b"\x02")
        key = cipher_key(h, e, klen)
        iv1 = hsh(h, gxi, gxr)[:blen]
        ct = cbc(ciph, key, iv1, plain)
        iv2 = hsh(h, ct[-blen:], mid)[:blen]
        out = [
            ("skeyid", skeyid), ("skeyid_sig", skeyid_sig), ("skeyid_d", d),
            ("skeyid_a", a), ("skeyid_e", e), ("enc_key", key), ("iv1", iv1),
            ("ct", ct), ("iv2", iv2),
            ("hash_i", prf(h, skeyid, gxi, gxr, cky_i, cky_r, sai_b, idii_b)),
            ("hash_r", prf(h, skeyid, gxr, gxi, cky_r, cky_i, sai_b, idir_b)),
            ("qm_hash1", prf(h, a, mid, rest)),
            ("qm_hash2", prf(h, a, mid, ni, rest)),
            ("qm_hash3", prf(h, a, b"\x00", mid, ni, nr)),
            ("keymat", keymat(h, d, b"", 3, spi, ni, nr, 52)),
            ("keymat_pfs", keymat(h, d, gqm, 3, spi, ni, nr, 72)),
            ("natd", hsh(h, cky_i, cky_r, bytes([192, 0, 2, 1]), (4500).to_bytes(2, "big"))),
        ]
        for name, val in out:
            print(c_hex("%s_%s" % (tag, name), val))
        print()


if __name__ == "__main__":
    main()
