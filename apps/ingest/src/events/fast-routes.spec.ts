import { acceptedBody } from './fast-routes';
import type { PublishOneResult } from './events.service';

describe('acceptedBody', () => {
  const cases: PublishOneResult[] = [
    { accepted: 1, event_id: 'evt-1', stream_id: '1732441800000-0', duplicate: false },
    { accepted: 0, event_id: 'evt-1', stream_id: '1732441800000-0', duplicate: true },
    // Ids are validated strings, but any string must still come out as valid JSON.
    {
      accepted: 1,
      event_id: 'quote " backslash \\ tab \t é \u2028',
      stream_id: '0-1',
      duplicate: false,
    },
  ];

  it.each(cases)('is the JSON of the result, fields in the same order (%#)', (result) => {
    expect(acceptedBody(result)).toBe(JSON.stringify(result));
    expect(JSON.parse(acceptedBody(result))).toEqual(result);
  });
});
