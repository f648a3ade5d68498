/**
 * The router of every sign-in's steps (`/interaction/:uid/…`): the local pages (password login,
 * activation, password change, second factor, confirmation), each finding its sign-in through
 * the protocol and finishing it there. The protocol adds its own steps to the same router (OIDC:
 * the page a sign-in starts on, consent, abort), so that an expired sign-in gets the same page.
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { LoginExpired, STEPS_PREFIX } from '../login/transaction.js';
import { showAccountDone, showActivation, showPasswordChange, submitActivation, submitPasswordChange } from './account-forms.js';
import type { LoginPagesDeps } from './context.js';
import { showExpired } from './expired.js';
import { submitLogin } from './login-page.js';
import {
  continueSignIn, removeSecondFactor, restartEnrolment, showEnrolment, showManagement, showSecondFactor, submitEnrolment, submitSecondFactor,
} from './second-factor.js';

export type StepAction = (ctx: Context) => Promise<void>;

/** How a protocol adds its steps: `path` under `/interaction/:uid`. */
export interface StepRoutes {
  get(path: string, action: StepAction): void;
  post(path: string, action: StepAction): void;
}

export function signInStepsRouter(deps: LoginPagesDeps, protocolSteps: (routes: StepRoutes) => void): Router {
  const router = new Router({ prefix: STEPS_PREFIX });
  const form = bodyParser({ enableTypes: ['form'], formLimit: `${deps.maxBodyBytes}b`, encoding: 'utf-8' });
  const guarded = (action: StepAction) => async (ctx: Context) => {
    try {
      await action(ctx);
    } catch (err) {
      if (!(err instanceof LoginExpired) || ctx.accepts('html', 'json') !== 'html') throw err;
      await showExpired(ctx, deps, err);
    }
  };
  const routes: StepRoutes = {
    get: (path, action) => router.get(`/:uid${path}`, guarded(action)),
    post: (path, action) => router.post(`/:uid${path}`, form, guarded(action)),
  };
  const page = (action: (ctx: Context, deps: LoginPagesDeps) => Promise<void>): StepAction => (ctx) => action(ctx, deps);
  protocolSteps(routes);
  routes.post('/login', page(submitLogin));
  routes.get('/activate', page(showActivation));
  routes.post('/activate', page(submitActivation));
  routes.get('/password', page(showPasswordChange));
  routes.post('/password', page(submitPasswordChange));
  routes.get('/mfa', page(showSecondFactor));
  routes.post('/mfa', page(submitSecondFactor));
  routes.get('/enrol', page(showEnrolment));
  routes.post('/enrol', page(submitEnrolment));
  routes.get('/manage', page((ctx, d) => showManagement(ctx, d)));
  routes.post('/manage/remove', page(removeSecondFactor));
  routes.post('/manage/enrol', page(restartEnrolment));
  routes.post('/continue', page(continueSignIn));
  routes.get('/done', page(showAccountDone));
  return router;
}
