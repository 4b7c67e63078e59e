import { idNumberShapeOk, verificationError } from './verification';

describe('real-name verification in the citizen’s words', () => {
  it('says that a binding is made once', () => {
    expect(verificationError('AUTH_ALREADY_VERIFIED')).toBe(
      '该账号已用另一个身份证号完成实名认证，实名信息不能更改；如有疑问请联系客服',
    );
    expect(verificationError('AUTH_ID_NUMBER_TAKEN')).toBe(
      '该身份证号已绑定其他手机号账号，一个身份证号只能认证一个账号',
    );
    // Servers before AUTH_ID_NUMBER_TAKEN answered CONFLICT for the same thing.
    expect(verificationError('CONFLICT')).toBe(verificationError('AUTH_ID_NUMBER_TAKEN'));
    expect(verificationError('VALIDATION_FAILED')).toContain('身份证号不正确');
  });

  it('checks the shape before sending', () => {
    expect(idNumberShapeOk('11010519491231002X')).toBe(true);
    expect(idNumberShapeOk(' 110105194912310021 ')).toBe(true);
    expect(idNumberShapeOk('1101051949123100')).toBe(false);
  });
});
