/**
 * The credential lives in sessionStorage: it survives a reload of the tab but not closing it, and no
 * other tab or site sees it. It is never put in a URL or a cookie.
 */
const TOKEN_KEY = 'gatehouse.token';

export const session = {
  token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  signIn(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  signOut(): void {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};
