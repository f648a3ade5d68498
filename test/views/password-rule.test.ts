/** The summary a page states when the account is not known yet: true of every policy it covers. */
import { expect } from 'chai';
import { passwordPolicySchema, summarizePolicies, type PasswordPolicy } from '../../src/auth/password-policy.js';

const policy = (fields: Partial<PasswordPolicy>): PasswordPolicy => passwordPolicySchema.parse(fields);

describe('summarizePolicies', () => {
  it('is null without any policy', () => {
    expect(summarizePolicies([])).to.equal(null);
  });

  it('groups keys sharing a minimum, in the order first seen, across repeated keys (tenants)', () => {
    const summary = summarizePolicies([
      ['Student', policy({ minLength: 8 })], ['Relative', policy({ minLength: 10 })], ['Teacher', policy({})], ['Personnel', policy({})],
      ['Student', policy({ minLength: 8 })], ['Relative', policy({ minLength: 10 })], ['Teacher', policy({})], ['Personnel', policy({})],
    ]);
    expect(summary).to.deep.equal({
      minLength: [
        { keys: ['Student'], range: { low: 8, high: 8 } },
        { keys: ['Relative'], range: { low: 10, high: 10 } },
        { keys: ['Teacher', 'Personnel'], range: { low: 12, high: 12 } },
      ],
      maxLength: { low: 128, high: 128 },
      refuseCommon: true,
      refusePersonal: true,
    });
  });

  it('gives a range where tenants differ, and claims a refusal only if every policy makes it', () => {
    const summary = summarizePolicies([
      ['Student', policy({ minLength: 8 })], ['Student', policy({ minLength: 9, maxLength: 64, refuseCommon: false })],
    ]);
    expect(summary).to.deep.equal({
      minLength: [{ keys: ['Student'], range: { low: 8, high: 9 } }],
      maxLength: { low: 64, high: 128 },
      refuseCommon: false,
      refusePersonal: true,
    });
  });
});
