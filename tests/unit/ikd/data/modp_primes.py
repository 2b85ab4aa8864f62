#!/usr/bin/env python3
"""Recompute the IKE MODP primes from the formula the RFCs state.

RFC 2409 section 6.2 (group 2) and RFC 3526 sections 2-5 (groups 5, 14, 15, 16) define
    p = 2^N - 2^(N-64) - 1 + 2^64 * ( floor(2^(N-130) * pi) + k )
with generator 2. This script computes pi with Machin's formula in integer arithmetic,
builds each prime, and prints it as hex. test_ike_dh.c compares ike_dh's constants with
OpenSSL's BN_get_rfc*_prime_* AND with a SHA-256 of this script's output, so a typo in
any one of the three sources fails the test.
Usage: python3 modp_primes.py          (prints "group bits sha256(prime bytes) hex")
"""
import hashlib

GROUPS = ((2, 1024, 129093), (5, 1536, 741804), (14, 2048, 124476),
          (15, 3072, 1690314), (16, 4096, 240904))


def arctan_inv(x, one):
    """atan(1/x) * one, by its Taylor series."""
    total = term = one // x
    x2, n, sign = x * x, 3, -1
    while term:
        term //= x2
        total += sign * (term // n)
        sign, n = -sign, n + 2
    return total


def pi_fixed(bits):
    guard = 64
    one = 1 << (bits + guard)
    pi = 16 * arctan_inv(5, one) - 4 * arctan_inv(239, one)
    return pi >> guard          # floor(pi * 2^bits) (guard bits absorb rounding)


def modp_prime(n, k):
    return 2**n - 2**(n - 64) - 1 + 2**64 * (pi_fixed(n - 130) + k)


if __name__ == "__main__":
    for group, bits, k in GROUPS:
        p = modp_prime(bits, k)
        raw = p.to_bytes(bits // 8, "big")
        assert p.bit_length() == bits
        print(group, bits, hashlib.sha256(raw).hexdigest(), raw.hex().upper())
