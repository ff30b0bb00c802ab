// Route53 alias targets for AWS load balancers. An alias needs the hosted zone id of the load
// balancer's region; these are AWS's published values (General Reference, "Elastic Load
// Balancing endpoints and quotas"). Regions missing here can be given in the provider options.

/** Application and Classic load balancers: <name>-<id>.<region>.elb.amazonaws.com */
export const ALB_CLB_ZONE_IDS: Readonly<Record<string, string>> = {
  'us-east-1': 'Z35SXDOTRQ7X7K',
  'us-east-2': 'Z3AADJGX6KTTL2',
  'us-west-1': 'Z368ELLRRE2KJ0',
  'us-west-2': 'Z1H1FL5HABSF5',
  'ca-central-1': 'ZQSVJUPU6J1EY',
  'eu-central-1': 'Z215JYRZR1TBD5',
  'eu-west-1': 'Z32O12XQLNTSW2',
  'eu-west-2': 'ZHURV8PSTC4K8',
  'eu-west-3': 'Z3Q77PNBQS71R4',
  'ap-northeast-1': 'Z14GRHDCWA56QT',
  'ap-northeast-2': 'ZWKZPGTI48KDX',
  'ap-south-1': 'ZP97RAFLXTNZK',
  'ap-southeast-1': 'Z1LMS91P8CMLE5',
  'ap-southeast-2': 'Z1GM3OXH4ZPM65',
  'sa-east-1': 'Z2P70J7HTTTPLU',
};

/** Network load balancers: <name>-<id>.elb.<region>.amazonaws.com */
export const NLB_ZONE_IDS: Readonly<Record<string, string>> = {
  'us-east-1': 'Z26RNL4JYFTOTI',
  'us-east-2': 'ZLMOA37VPKANP',
  'us-west-1': 'Z24FKFUX50B4VW',
  'us-west-2': 'Z18D5FSROUN65G',
  'ca-central-1': 'Z2EPGBW3API2WT',
  'eu-central-1': 'Z3F0SRJ5LGBH90',
  'eu-west-1': 'Z2IFOLAFXWLO4F',
  'eu-west-2': 'ZD4D7Y8KGAS4G',
  'eu-west-3': 'Z1CMS0P5QUZ6D5',
  'ap-northeast-1': 'Z31USIVHYNEOWT',
  'ap-northeast-2': 'ZIBE1TIR4HY56',
  'ap-south-1': 'ZVDDRBQ08TROA',
  'ap-southeast-1': 'ZKVM4W9LS7TM',
  'ap-southeast-2': 'ZCT6FZBF4DROD',
  'sa-east-1': 'ZTK26PT1VY4CU',
};

const ALB_CLB = /^(?:dualstack\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*?\.([a-z]{2}(?:-[a-z]+)+-\d)\.elb\.amazonaws\.com\.?$/;
const NLB = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*?\.elb\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com\.?$/;

export interface ElbHostname {
  kind: 'alb-clb' | 'nlb';
  region: string;
}

/** The kind and region of an AWS load-balancer hostname, or undefined for anything else. */
export function parseElbHostname(hostname: string): ElbHostname | undefined {
  const h = hostname.toLowerCase();
  const nlb = NLB.exec(h);
  if (nlb) return { kind: 'nlb', region: nlb[1] };
  const alb = ALB_CLB.exec(h);
  if (alb) return { kind: 'alb-clb', region: alb[1] };
  return undefined;
}

/**
 * The alias hosted zone id for a load-balancer hostname; `extra` maps '<kind>/<region>'
 * (e.g. 'nlb/eu-north-1') to ids this table lacks. Throws for an unknown region.
 */
export function elbAliasZoneId(lb: ElbHostname, extra: Readonly<Record<string, string>> = {}): string {
  const id = extra[`${lb.kind}/${lb.region}`] ?? (lb.kind === 'nlb' ? NLB_ZONE_IDS : ALB_CLB_ZONE_IDS)[lb.region];
  if (id === undefined) {
    throw new Error(`no alias hosted zone id known for ${lb.kind} load balancers in ${lb.region} (set aliasHostedZoneIds['${lb.kind}/${lb.region}'])`);
  }
  return id;
}
