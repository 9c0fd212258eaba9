"""IEEE 754 double <-> IBM System/370 hexadecimal float, the number format of SAS XPORT v5.

An IBM double is 1 sign bit, a 7-bit base-16 exponent biased by 64 and a 56-bit fraction F, worth
F / 2**56 * 16**(exponent - 64), normalised so the fraction's first hex digit is non-zero.

Writing is exact: a normal IEEE double has a 53-bit significand, and re-basing its binary exponent
to base 16 shifts that significand left by 0-3 bits, which always fits the 56-bit fraction. So every
double with 16**-65 <= |x| < 16**63 (about 5.4e-79 to 7.2e75) survives a write/read round trip bit
for bit. Smaller magnitudes (including IEEE subnormals) underflow to 0; larger ones and infinities
cannot be written at all, and the caller is told which. Reading rounds a 56-bit fraction from
another writer to the nearest double (ties to even), the best IEEE can hold.

SAS missing values are the byte '.' (0x2E) or a special-missing letter ('A'-'Z', '_') followed by
seven zero bytes. Everything here works on whole numpy arrays at once.
"""

from __future__ import annotations

import numpy as np

MISSING_BYTE = 0x2E  # '.', SAS's ordinary numeric missing value
SPECIAL_MISSING_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"

_SIGN = np.uint64(1 << 63)
_FRACTION_52 = np.uint64((1 << 52) - 1)
_HIDDEN_BIT = np.uint64(1 << 52)
_FRACTION_56 = np.uint64((1 << 56) - 1)
_IBM_LIMIT = 2.0**252  # 16**63: the first magnitude whose hex exponent exceeds 127


def ieee_to_ibm(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IBM words (native uint64) for float64 `values`, and a mask of values too large for IBM.

    NaN becomes the SAS missing value '.', zero and underflow become 0 (the fraction's sign is
    dropped: SAS has no negative zero). Words under the too-large mask are meaningless.
    """
    x = np.ascontiguousarray(values, dtype=np.float64)
    bits = x.view(np.uint64)
    biased = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64)
    binary_exp = biased - 1023
    # value = 1.f * 2**p = (1.f * 2**(r-4)) * 16**(p//4 + 1) with r = p mod 4 in 0..3
    hex_exp = (binary_exp >> 2) + 65  # biased by 64
    shift = (binary_exp & 3).astype(np.uint64)
    fraction = ((bits & _FRACTION_52) | _HIDDEN_BIT) << shift
    words = (bits & _SIGN) | (hex_exp.clip(0, 127).astype(np.uint64) << np.uint64(56)) | fraction

    is_nan = np.isnan(x)
    too_large = ~is_nan & ((biased == 0x7FF) | (hex_exp > 127))
    is_zero = (biased == 0) | (hex_exp < 0)
    words[is_zero] = 0
    words[is_nan] = np.uint64(MISSING_BYTE << 56)
    return words, too_large


def beyond_ibm_range(values: np.ndarray) -> np.ndarray:
    """Mask of values no IBM double can hold: infinities and |x| >= 16**63 (NaN is fine: missing)."""
    magnitude = np.abs(values)
    return (magnitude >= _IBM_LIMIT) & ~np.isnan(values)


def missing_words(codes: np.ndarray) -> np.ndarray:
    """IBM words for SAS missing values given their first byte ('.', 'A'-'Z', '_') as uint8."""
    return codes.astype(np.uint64) << np.uint64(56)


def ibm_to_ieee(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float64 values for IBM `words` (native uint64), and each missing value's first byte.

    Missing values read as NaN; the second array holds 0x2E ('.') or the special-missing letter's
    byte where the value is missing and 0 elsewhere.
    """
    w = np.asarray(words, dtype=np.uint64)
    first = (w >> np.uint64(56)).astype(np.uint8)
    fraction = w & _FRACTION_56
    exponent = (first & 0x7F).astype(np.int64)
    magnitude = np.ldexp(fraction.astype(np.float64), (4 * (exponent - 64) - 56).astype(np.int32))
    values = np.where(first & 0x80, -magnitude, magnitude)

    is_missing = (fraction == 0) & (
        (first == MISSING_BYTE) | ((first >= ord("A")) & (first <= ord("Z"))) | (first == ord("_"))
    )
    values[is_missing] = np.nan
    return values, np.where(is_missing, first, np.uint8(0))
