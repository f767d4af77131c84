import {
  decodeRpcStatus,
  encodeRpcStatus,
  encodeRpcStatusWithin,
  rpcStatusJson,
} from './google-rpc-status';

describe('google.rpc.Status', () => {
  it('encodes code, message and RetryInfo with the field numbers of googleapis', () => {
    const sut = encodeRpcStatus({ code: 8, message: 'slow down', retryAfterSeconds: 3 });
    // code=8 (field 1 varint), message (field 2), details[0] (field 3) = Any{type_url, value}.
    expect(sut.subarray(0, 2)).toEqual(Buffer.from([0x08, 0x08]));
    expect(sut.subarray(2, 13)).toEqual(Buffer.from([0x12, 9, ...Buffer.from('slow down')]));
    expect(sut[13]).toBe(0x1a);
    const any = sut.subarray(15);
    expect(any.subarray(2, 2 + any[1]).toString()).toBe('type.googleapis.com/google.rpc.RetryInfo');
    // RetryInfo{retry_delay: Duration{seconds: 3}} = 0a 02 08 03, as the Any's value (field 2).
    expect(any.subarray(any.length - 6)).toEqual(Buffer.from([0x12, 4, 0x0a, 2, 0x08, 3]));
    expect(decodeRpcStatus(sut)).toEqual({ code: 8, message: 'slow down', retryAfterSeconds: 3 });
  });

  it('leaves details out when there is no retry delay', () => {
    expect(decodeRpcStatus(encodeRpcStatus({ code: 3, message: 'bad' }))).toEqual({
      code: 3,
      message: 'bad',
    });
  });

  it('writes the proto3 JSON form, RetryInfo named by @type with a duration string', () => {
    expect(rpcStatusJson({ code: 8, message: 'slow down', retryAfterSeconds: 3 })).toEqual({
      code: 8,
      message: 'slow down',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3s' }],
    });
  });
});

describe('google.rpc.BadRequest details', () => {
  const violations = [
    {
      field: 'events[1].source_agent.id',
      description: 'source_agent.id must be 1..128 characters',
    },
    { field: 'event_type', description: 'event_type must be a string, not a number' },
  ];

  it('round-trips field violations beside RetryInfo', () => {
    const sut = encodeRpcStatus({ code: 3, message: 'bad', fieldViolations: violations });

    expect(sut.includes(Buffer.from('type.googleapis.com/google.rpc.BadRequest'))).toBe(true);
    expect(decodeRpcStatus(sut)).toEqual({ code: 3, message: 'bad', fieldViolations: violations });
  });

  it('keeps the first violations that fit the trailer budget, then none', () => {
    const many = Array.from({ length: 500 }, (_, i) => ({
      field: `events[${i}].event_type`,
      description: 'event_type is required',
    }));

    const kept = decodeRpcStatus(
      encodeRpcStatusWithin({ code: 3, message: 'bad', fieldViolations: many }, 4096),
    );
    expect(kept.fieldViolations?.length).toBeGreaterThan(0);
    expect(kept.fieldViolations?.length).toBeLessThan(500);
    expect(kept.fieldViolations?.[0]).toEqual(many[0]);
    expect(
      encodeRpcStatusWithin({ code: 3, message: 'bad', fieldViolations: many }, 4096).length,
    ).toBeLessThanOrEqual(4096);
  });
});
