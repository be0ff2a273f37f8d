import pickle

import datasketch
import numpy as np
import pytest

from cleanpipe.sketch.minhash import MinHasher, signatures_for_texts
from cleanpipe.sketch.shingles import shingle_hashes


def _identity(value):
    return value


def _datasketch_update_batch(values, *, num_perm, seed):
    m = datasketch.MinHash(num_perm=num_perm, seed=seed, hashfunc=_identity)
    m.update_batch(values.tolist())
    return m.hashvalues


@pytest.mark.parametrize(
    ("num_perm", "seed"),
    [(128, 1), (64, 7), (256, 42), (3, 0), (200, 12345)],
    ids=["default", "64-seed7", "256-seed42", "tiny", "odd-size"],
)
def test_bit_identical_to_datasketch_update_batch(num_perm, seed):
    rng = np.random.default_rng(seed)
    # Sizes straddle the chunk size so that sets cross chunk boundaries.
    sizes = [0, 1, 2, 400, 5000, 0, 17, 9000, 3]
    sets = [rng.integers(0, 2**32, size, dtype=np.uint64).astype(np.uint32) for size in sizes]
    sets.append(np.array([0, 2**32 - 1], dtype=np.uint32))
    hasher = MinHasher(num_perm=num_perm, seed=seed)
    signatures = hasher.signatures(sets)
    assert signatures.shape == (len(sets), num_perm)
    assert signatures.dtype == np.uint32
    for values, signature in zip(sets, signatures, strict=True):
        assert np.array_equal(
            signature, _datasketch_update_batch(values, num_perm=num_perm, seed=seed)
        )


def test_bit_identical_to_datasketch_update_per_value():
    values = np.array([7, 123456789, 2**31, 42, 42], dtype=np.uint32)
    m = datasketch.MinHash(num_perm=32, seed=3, hashfunc=_identity)
    for value in values.tolist():
        m.update(value)
    assert np.array_equal(MinHasher(num_perm=32, seed=3).signature(values), m.hashvalues)


def test_empty_set_is_datasketch_empty_signature():
    signature = MinHasher(num_perm=16).signature(np.array([], dtype=np.uint32))
    assert np.array_equal(signature, datasketch.MinHash(num_perm=16).hashvalues)


def test_many_small_sets_in_one_call():
    rng = np.random.default_rng(5)
    sets = [rng.integers(0, 2**32, rng.integers(0, 30), dtype=np.uint64) for _ in range(3000)]
    hasher = MinHasher(num_perm=128)
    signatures = hasher.signatures(sets)
    for k in (0, 1, 1499, 2999):
        expected = _datasketch_update_batch(sets[k], num_perm=128, seed=1)
        assert np.array_equal(signatures[k], expected)


def test_hashes_over_32_bits_are_refused():
    with pytest.raises(ValueError, match="32 bits"):
        MinHasher(num_perm=8).signature(np.array([2**32], dtype=np.uint64))


def test_num_perm_must_be_positive():
    with pytest.raises(ValueError, match="num_perm"):
        MinHasher(num_perm=0)


def test_lean_minhash_round_trip_and_serialisation():
    hasher = MinHasher(num_perm=64, seed=9)
    hashes = shingle_hashes("the quick brown fox jumps over the lazy dog " * 3, shingle_size=2)
    lean = hasher.to_lean_minhash(hasher.signature(hashes))
    ds = datasketch.MinHash(num_perm=64, seed=9, hashfunc=_identity)
    ds.update_batch(hashes.tolist())
    assert lean.jaccard(ds) == 1.0
    buffer = bytearray(lean.bytesize())
    lean.serialize(buffer)
    restored = datasketch.LeanMinHash.deserialize(buffer)
    assert restored == lean
    assert pickle.loads(pickle.dumps(lean)) == lean


def test_lean_minhash_rejects_wrong_length():
    with pytest.raises(ValueError, match="shape"):
        MinHasher(num_perm=8).to_lean_minhash(np.zeros(4, dtype=np.uint32))


def test_lean_minhashes_work_in_datasketch_lsh():
    base = " ".join(f"word{i}" for i in range(300))
    texts = [base, base.replace("word150", "changed"), " ".join(f"other{i}" for i in range(300))]
    hasher = MinHasher(num_perm=128)
    signatures = signatures_for_texts(texts, num_perm=128, shingle_size=5)
    lsh = datasketch.MinHashLSH(threshold=0.7, num_perm=128)
    for i, signature in enumerate(signatures):
        lsh.insert(f"doc{i}", hasher.to_lean_minhash(signature))
    assert sorted(lsh.query(hasher.to_lean_minhash(signatures[0]))) == ["doc0", "doc1"]


def test_signatures_estimate_jaccard():
    a = " ".join(f"w{i}" for i in range(1000))
    b = " ".join(f"w{i}" for i in range(500, 1500))
    signatures = signatures_for_texts([a, b], num_perm=256, shingle_size=1)
    estimate = float((signatures[0] == signatures[1]).mean())
    assert abs(estimate - 1 / 3) < 0.1


def test_cjk_text_signatures_are_datasketch_over_the_same_shingles():
    texts = ["新华社北京11月17日电 记者17日从国家卫生健康委获悉", "ภาษาไทยเขียนติดกัน", "Rice rose."]
    signatures = signatures_for_texts(texts, num_perm=64, shingle_size=3, seed=5)
    for text, signature in zip(texts, signatures, strict=True):
        hashes = shingle_hashes(text, shingle_size=3)
        assert len(hashes) > 1 or text == "Rice rose."
        expected = _datasketch_update_batch(hashes, num_perm=64, seed=5)
        assert np.array_equal(signature, expected)
