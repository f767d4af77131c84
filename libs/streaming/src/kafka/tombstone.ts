/** The field of the record a hybrid `all` write leaves when it could not store an event in both backends. */
export const TOMBSTONE_FIELD = 'auren_tombstone';
