/**
 * A route's hooks with `first` in front of those it already has (Fastify's route options hold none, one, or an array):
 * how the auth hook and the response bookkeeping are attached to each route when it is added (onRoute).
 */
export function hooksWith<H>(first: H, existing: H | H[] | undefined): H[] {
  if (existing === undefined) return [first];
  return Array.isArray(existing) ? [first, ...existing] : [first, existing];
}
