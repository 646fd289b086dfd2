"""The Redis cache backend the site runs on in production, against the real Redis."""

import secrets

import pytest
from redis import RedisError

from progress_site.redis_cache import KeptClientRedisCache


@pytest.fixture
def redis_cache():
    cache = KeptClientRedisCache(
        "redis://127.0.0.1:6379/0", {"KEY_PREFIX": f"test-{secrets.token_hex(4)}"}
    )
    try:
        cache.get("probe")
    except RedisError:
        pytest.skip("needs Redis on 127.0.0.1:6379")
    yield cache
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(f"{cache.key_prefix}:*"):
        client.delete(key)


@pytest.mark.parametrize("count", [1, 3], ids=["one key", "several keys"])
def test_set_many_stores_every_value_with_its_expiry(redis_cache, count):
    """One key goes as one SET, several in one pipeline: either way each value is
    stored and expires (a learner's token that never expired could keep a page stale)."""
    values = {f"token-{n}": secrets.token_hex(8) for n in range(count)}

    redis_cache.set_many(values, timeout=60)

    assert redis_cache.get_many(list(values)) == values
    client = redis_cache._cache.get_client(write=True)
    for key in values:
        assert 0 < client.ttl(redis_cache.make_key(key)) <= 60
