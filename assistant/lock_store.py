"""Rasa's Redis lock store, reconnecting once when Redis closed a pooled connection.

After Redis restarts, or a network path to it is cut and restored, every connection idle in
the pool is dead, and Rasa's store fails the next message on each of them (HTTP 503) although
Redis answers again. Here a command that fails on a closed connection is sent once more on a
new one; while Redis is really out of reach, that fails too, at once.
"""
from redis.exceptions import ConnectionError as RedisConnectionError
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

RETRY_ON = [RedisConnectionError]


class ReconnectingRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)
        # Connections are made on first use, with these settings.
        self.red.connection_pool.connection_kwargs["retry_on_error"] = list(RETRY_ON)
