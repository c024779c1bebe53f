/**
 * What the bot's own user may do, asked of the API server with a `SelfSubjectAccessReview`
 * (`authorization.k8s.io/v1`, what `kubectl auth can-i` sends;
 * https://kubernetes.io/docs/reference/access-authn-authz/authorization/#checking-api-access). Every
 * authenticated user may create one (the default ClusterRole `system:basic-user`). The answer is the
 * authorizer's, so it holds however the grant was made: the kustomize component, the Helm value, or a
 * Role an administrator wrote by hand.
 */
import type { Kube } from './client.js';

/** The request a review asks about (the fields of `spec.resourceAttributes`). */
export interface AccessQuestion {
  verb: string;
  /** API group ('' for core). */
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/**
 * Whether this client's user may make the request `q` (`status.allowed` of the review).
 * @throws ApiException when the review itself fails (a 403 where `system:basic-user` was removed, 5xx).
 */
export async function mayI(kube: Kube, q: AccessQuestion): Promise<boolean> {
  const review = await kube.authorization.createSelfSubjectAccessReview({
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { ...q } } },
  });
  return review.status?.allowed === true;
}
