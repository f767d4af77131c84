/** The field of the record a hybrid `all` write leaves when it could not store an event in both backends. */
export const TOMBSTONE_FIELD = 'auren_tombstone';

/**
 * Settings of the topic when AUREN creates it: one event may be up to 1 MiB of request body, which
 * with the fields the server adds can exceed Kafka's default 1 MiB record batch limit.
 */
export const TOPIC_CONFIG = [{ name: 'max.message.bytes', value: String(2 * 1024 * 1024) }];
