/**
 * How the emulator parses YAML request bodies: as the real server's sigs.k8s.io/yaml does (go-yaml v2,
 * YAML 1.1, so `y`, `on`, `no` are booleans and `0755` is octal) except that timestamps stay strings
 * (go-yaml v2 decodes an untagged timestamp into `interface{}` as its string).
 */
import type { ParseOptions, DocumentOptions, SchemaOptions } from 'yaml';

/** Options for `yaml`'s `parse`. */
export const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:timestamp'),
};
