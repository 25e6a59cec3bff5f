/**
 * Kubernetes only: {@link io.meridian.k8s.RegionContactPointDiscovery}, the discovery method Pekko
 * Management's cluster bootstrap uses on Kubernetes. It answers with this region's pods (Kubernetes
 * API discovery) and the contact points configured for the other regions, so a new pod, or a whole
 * region coming back, joins the running cluster through whichever region answers
 * (docs/deploy-kubernetes.md, "How a node finds the cluster"; docs/decisions.md, "Kubernetes:
 * cluster bootstrap in every region, contact points across regions").
 *
 * <p>A leaf: it uses no other Meridian package (PackageArrowsTest). No product code calls it; Pekko
 * Discovery loads it by the class name configured under {@code pekko.discovery.meridian-regions}.
 *
 * <p>Nothing here is serialized or stored. The class name is configuration: conf/kubernetes.conf
 * names it (KubernetesManifestTest checks that), so a move or rename changes that file in the same
 * commit.
 */
package io.meridian.k8s;
