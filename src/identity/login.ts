/** Login syntax: what generated (`firstname.lastname2`) and hand-made logins may look like. */
const LOGIN = /^[a-z0-9][a-z0-9._-]{1,63}$/;

export function loginProblem(login: string): string | null {
  return LOGIN.test(login) ? null : 'a login is 2 to 64 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit';
}

/** Logins are stored lower-case (generated `firstname.lastname`); users type them any way. */
export const normalizeLogin = (login: string): string => login.trim().toLowerCase();
