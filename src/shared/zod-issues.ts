/** Validation problems as a person reads them: `path: message`, one line each. */
import type { z } from 'zod';

export function formatIssues(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => {
    // zod reports unknown keys at their parent; name each key's own path, as for other issues.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${[...issue.path, key].join('.')}: unknown key`);
    return [`${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`];
  });
}
