/** IPv4 CIDR arithmetic: one definition, in the product's pure core (lambda/net/cidr.ts). */
export * from '../lambda/net/cidr';
