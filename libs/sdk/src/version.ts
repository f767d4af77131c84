/** Sent in the User-Agent; kept equal to package.json's version by a unit spec. */
export const SDK_VERSION = '0.1.0';
