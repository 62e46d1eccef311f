import { describe, expect, it } from 'vitest';
import { renderString } from '../../modules/template.ts';
import { expandMatch, helpers, pyFormat, pyJson, pythonRegex, truthy } from '../../modules/template-helpers.ts';

/** Render through Handlebars as a template does, so each helper is tested as templates call it. */
const r = (source: string, vars: Record<string, unknown> = {}) => renderString(source, vars, 'test.hbs');
const h = (name: string, args: unknown[], hash: Record<string, unknown> = {}) => helpers[name]!(args, hash);

describe('template helpers', () => {
  it('yaml_str writes a YAML scalar that reads back as the value, plain only for ordinary words, paths and addresses', () => {
    expect(
      [
        'pg-test',
        '/pg/',
        '10.10.10.11:5432',
        '10.10.10.11,127.0.0.1:5432',
        'en_US.UTF-8',
        '/usr/bin/pgbackrest --stanza=pg-test --delta restore',
      ].map((v) => h('yaml_str', [v])),
    ).toEqual([
      'pg-test',
      '/pg/',
      '10.10.10.11:5432',
      '10.10.10.11,127.0.0.1:5432',
      'en_US.UTF-8',
      '/usr/bin/pgbackrest --stanza=pg-test --delta restore',
    ]);
    expect([5432, true].map((v) => h('yaml_str', [v]))).toEqual(['5432', 'true']);
    // YAML syntax, and what YAML 1.1 would read as another type, are double-quoted
    expect(
      ['/pg\nbootstrap:\n#', 'a: b', 'x #y', '{host: 1}', '- a', 'yes', 'off', '123', '1:20', '~', '', 'a:'].map((v) => h('yaml_str', [v])),
    ).toEqual(['"/pg\\nbootstrap:\\n#"', '"a: b"', '"x #y"', '"{host: 1}"', '"- a"', '"yes"', '"off"', '"123"', '"1:20"', '"~"', '""', '"a:"']);
    // what YAML 1.1 reads as a line break or refuses is escaped; other non-ASCII stays as written
    expect(h('yaml_str', ['/pg\u2028standby_cluster: {}\u0085#\u2029'])).toBe('"/pg\\u2028standby_cluster: {}\\u0085#\\u2029"');
    expect(h('yaml_str', ['über'])).toBe('"über"');
    expect(h('yaml_str', ["it's"], { style: 'single' })).toBe("'it''s'");
    expect(h('yaml_str', [15], { style: 'single' })).toBe("'15'");
    expect(h('yaml_str', ['a\u2028b'], { style: 'single' })).toBe('"a\\u2028b"');
    expect(h('yaml_str', ['pg-test'], { style: 'double' })).toBe('"pg-test"');
    expect(h('yaml_str', ['a,b'], { flow: true })).toBe('"a,b"');
    expect(() => h('yaml_str', [{ a: 1 }])).toThrow('expects a string, number or boolean, got {"a":1}');
    expect(() => h('yaml_str', [NaN])).toThrow('expects a finite number');
    expect(() => h('yaml_str', ['x'], { style: 'folded' })).toThrow('style must be plain, single or double');
  });

  it('default, defined, ternary and truthiness as in Jinja', () => {
    expect(r('{{default x "a"}}|{{default y "a"}}|{{default "" "a"}}|{{default "" "a" true}}|{{default 0 "a" boolean=true}}', { y: 'set' })).toBe(
      'a|set||a|a',
    );
    expect(h('defined', [undefined])).toBe(false);
    expect(h('defined', [null])).toBe(true);
    expect(r('{{ternary on "yes" "no"}} {{ternary off "yes" "no"}}', { on: [1], off: [] })).toBe('yes no');
    expect([truthy([]), truthy({}), truthy(''), truthy(0), truthy([0]), truthy({ a: 1 }), truthy('0')]).toEqual([
      false,
      false,
      false,
      false,
      true,
      true,
      true,
    ]);
  });

  it('bool, int, float, string convert like Ansible filters', () => {
    expect(['yes', 'on', 'True', '1', 'y', true, 1].map((v) => h('bool', [v]))).toEqual([true, true, true, true, true, true, true]);
    expect(['no', 'off', 'false', '0', '', false, 0, undefined].map((v) => h('bool', [v]))).toEqual(Array(8).fill(false));
    expect(['42', ' 7 ', '12.9', -3.7, true, 'abc', undefined].map((v) => h('int', [v]))).toEqual([42, 7, 12, -3, 1, 0, 0]);
    expect(h('int', ['abc', 5])).toBe(5);
    expect(h('int', ['abc'], { default: 9 })).toBe(9);
    expect(['1.5', 2, 'x'].map((v) => h('float', [v]))).toEqual([1.5, 2, 0]);
    expect([5, true, null, { a: 1 }, 'x'].map((v) => h('string', [v]))).toEqual(['5', 'true', '', '{"a":1}', 'x']);
  });

  it('upper, lower, trim, replace, split, startswith, endswith', () => {
    expect(r('{{upper "aBc"}} {{lower "aBc"}} [{{trim "  x "}}]')).toBe('ABC abc [x]');
    expect(r("{{replace listen '${ip}' ip}}", { listen: '${ip},${lo}', ip: '10.0.0.1' })).toBe('10.0.0.1,${lo}');
    expect(h('replace', ['a.a.a', '.', '-'])).toBe('a-a-a');
    expect(h('split', ['10.0.0.1/24', '/'])).toEqual(['10.0.0.1', '24']);
    expect(h('split', ['  a  b\tc '])).toEqual(['a', 'b', 'c']);
    expect([h('startswith', ['127.0.0.1', '127.0.0']), h('endswith', ['x.conf', '.yml'])]).toEqual([true, false]);
  });

  it('regex_replace and regex_search with Python syntax', () => {
    expect(h('regex_replace', ['db-01.local', '^(?P<host>[a-z]+)-(\\d+)\\..*$', '\\2:\\g<host>'])).toBe('01:db');
    expect(h('regex_replace', ['a1b22', '\\d', '#'])).toBe('a#b##');
    expect(h('regex_replace', ['ABC', 'b', 'x'], { ignorecase: true })).toBe('AxC');
    expect(h('regex_replace', ['10.0.0.1', '$', ':33061'])).toBe('10.0.0.1:33061');
    expect(h('regex_search', ['pg-test-1', '\\d+$'])).toBe('1');
    expect(h('regex_search', ['pg-test', '\\d+$'])).toBeUndefined();
    expect(() => h('regex_replace', ['x', '(', ''])).toThrow('invalid regular expression "("');
    expect(pythonRegex('(?i)^abc$').test('ABC')).toBe(true);
    expect(pythonRegex('(?P<a>x)(?P=a)').test('xx')).toBe(true);
    expect(expandMatch('\\1-\\g<0>\\n\\\\', /(b)/.exec('abc')!)).toBe('b-b\n\\');
    expect(() => expandMatch('\\q', /b/.exec('b')!)).toThrow('bad escape \\q');
    expect(() => expandMatch('\\3', /(b)/.exec('b')!)).toThrow('invalid group reference 3');
  });

  it('quote makes a shell word', () => {
    expect(r('{{quote s}} {{quote "simple"}}', { s: "it's $(x)" })).toBe(`'it'"'"'s $(x)' simple`);
  });

  it('indent as Jinja: first line kept unless first, blank lines left empty', () => {
    expect(h('indent', ['a\n\nb\n', 2])).toBe('a\n\n  b\n');
    expect(h('indent', ['a\nb', 2, true])).toBe('  a\n  b');
    expect(h('indent', ['a\nb'], { width: '> ', first: true })).toBe('> a\n> b');
    expect(h('indent', ['a\n\nb'], { blank: true })).toBe('a\n    \n    b');
  });

  it('format as Python %', () => {
    expect(
      r('[{{format "%-8s" "host"}}][{{format "%5d" 42}}][{{format "%05.1f" 3.14159}}][{{format "%x %X %o" 255 255 8}}][{{format "%%%s" "x"}}]'),
    ).toBe('[host    ][   42][003.1][ff FF 10][%x]');
    expect(pyFormat('%(a)s=%(b)d', [{ a: 'n', b: 1.9 }])).toBe('n=1');
    expect(pyFormat('%+d %.2s %r %c', [5, 'abc', 'q', 65])).toBe('+5 ab "q" A');
    expect(() => pyFormat('%s %s', ['a'])).toThrow('not enough arguments');
    expect(() => pyFormat('%s', ['a', 'b'])).toThrow('not all arguments converted');
  });

  it('arithmetic, round (half to even, ceil, floor), min and max', () => {
    expect(r('{{add 1 2}} {{sub 5 "2"}} {{mul 3 0.5}} {{div 7 2}} {{mod -1 3}}')).toBe('3 3 1.5 3.5 2');
    expect([
      h('round', [2.5]),
      h('round', [3.5]),
      h('round', [2.675, 2]),
      h('round', [1.01, 0, 'ceil']),
      h('round', [1.99], { method: 'floor' }),
    ]).toEqual([2, 4, 2.67, 2, 1]);
    expect(() => h('round', [1, 0, 'up'])).toThrow('round: method must be common, ceil or floor');
    expect([h('min', [[3, 1, 2]]), h('max', [3, 10, 2]), h('max', [['b', 'C', 'a']])]).toEqual([1, 10, 'C']);
    expect(() => h('div', [1, 0])).toThrow('division by zero');
    expect(() => h('add', [1, 'x'])).toThrow('add expects a number, got "x"');
    expect(() => h('max', [[]])).toThrow('max of an empty list');
  });

  it('comparisons and boolean logic', () => {
    expect(['eq', 'ne', 'gt', 'ge', 'lt', 'le'].map((n) => h(n, [2, 10]))).toEqual([false, true, false, false, true, true]);
    expect(h('eq', ['5', 5])).toBe(false);
    expect(h('gt', ['b', 'a'])).toBe(true);
    expect([h('and', [1, 'x', 0]), h('and', [1, 'x']), h('or', [0, '', 'y']), h('or', [0, []]), h('not', [[]])]).toEqual([0, 'x', 'y', [], true]);
    expect(r('{{#if (and (eq role "primary") (not standby))}}leader{{/if}}', { role: 'primary', standby: false })).toBe('leader');
  });

  it('contains and in over strings, lists and maps', () => {
    expect(r('{{#if (in "citus" libs)}}c{{/if}}{{#if (contains libs "x")}}x{{/if}}', { libs: ['pg_stat', 'citus'] })).toBe('c');
    expect([h('contains', ['10.0.0.1/8', '/']), h('contains', [{ a: 1 }, 'a']), h('in', ['b', { a: 1 }]), h('in', ['x', undefined])]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('list and map helpers', () => {
    expect(r('{{join xs ", "}}|{{join xs}}|{{join xs separator="-"}}', { xs: ['a', 1, true] })).toBe('a, 1, true|a1true|a-1-true');
    expect([h('length', ['abc']), h('length', [[1, 2]]), h('length', [{ a: 1 }]), h('length', [undefined])]).toEqual([3, 2, 1, 0]);
    expect([h('first', [[1, 2]]), h('last', [[1, 2]]), h('first', ['ab'])]).toEqual([1, 2, 'a']);
    expect(h('concat', [[1], [2, 3]])).toEqual([1, 2, 3]);
    expect(h('concat', ['10.0.0.1', '/32'])).toBe('10.0.0.1/32');
    expect(h('list', [1, 'a'])).toEqual([1, 'a']);
    expect(h('dict', [], { a: 1 })).toEqual({ a: 1 });
    expect(h('sorted', [['b', 'A', 'c']])).toEqual(['A', 'b', 'c']);
    expect(h('sorted', [['b', 'A', 'c']], { case_sensitive: true, reverse: true })).toEqual(['c', 'b', 'A']);
    expect(h('sorted', [[{ o: 2 }, { o: 1 }]], { attribute: 'o' })).toEqual([{ o: 1 }, { o: 2 }]);
    expect(h('sorted', [[10, 9, 100]])).toEqual([9, 10, 100]);
    expect(h('unique', [[1, 2, 1, 'a', 'a', { x: 1 }, { x: 1 }]])).toEqual([1, 2, 'a', { x: 1 }]);
    expect([h('keys', [{ a: 1, b: 2 }]), h('values', [{ a: 1, b: 2 }])]).toEqual([
      ['a', 'b'],
      [1, 2],
    ]);
    expect(h('items', [{ b: 1, a: 2 }])).toEqual([
      { key: 'b', value: 1 },
      { key: 'a', value: 2 },
    ]);
    expect(h('dictsort', [{ b: 1, a: 2 }])).toEqual([
      { key: 'a', value: 2 },
      { key: 'b', value: 1 },
    ]);
    expect(r('{{#each (dictsort m)}}{{key}}={{value}};{{/each}}', { m: { z: 1, y: 2 } })).toBe('y=2;z=1;');
    expect(() => h('join', ['abc'])).toThrow('join expects a list, got "abc"');
    expect(() => h('keys', [[1]])).toThrow('keys expects a map');
  });

  it('get walks maps and lists and fails naming the missing key unless given a default', () => {
    const hostvars = { '10.0.0.1': { etcd_seq: 1, tags: ['a', 'b'] } };
    expect(r("{{get hostvars ip 'etcd_seq'}} {{get hostvars ip 'tags' 1}}", { hostvars, ip: '10.0.0.1' })).toBe('1 b');
    expect(h('get', [hostvars, '10.0.0.2', 'etcd_seq'], { default: 0 })).toBe(0);
    expect(() => h('get', [hostvars, '10.0.0.1', 'nope'])).toThrow('no key ["10.0.0.1"]["nope"]');
  });

  it('selectattr, rejectattr and map_attr with Jinja tests', () => {
    const rules = [{ user: 'a', order: 0 }, { user: 'b' }, { user: 'c', order: 5 }];
    expect(h('map_attr', [h('selectattr', [rules, 'order', 'defined']), 'user'])).toEqual(['a', 'c']);
    expect(h('map_attr', [h('rejectattr', [rules, 'order', 'defined']), 'user'])).toEqual(['b']);
    expect(h('map_attr', [h('selectattr', [rules, 'order']), 'user'])).toEqual(['c']);
    expect(h('map_attr', [h('selectattr', [rules, 'user', 'eq', 'b']), 'user'])).toEqual(['b']);
    expect(h('map_attr', [h('selectattr', [rules, 'user', 'in', ['a', 'c']]), 'user'])).toEqual(['a', 'c']);
    expect(h('map_attr', [h('rejectattr', [rules, 'user', 'ne', 'b']), 'user'])).toEqual(['b']);
    expect(() => h('selectattr', [rules, 'user', 'odd'])).toThrow('unknown test "odd"');
  });

  it('to_json and to_nice_json as Python json.dumps; to_yaml and to_nice_yaml with sorted keys', () => {
    const v = { b: [1, 'é'], a: { c: null }, d: true };
    expect(h('to_json', [v])).toBe('{"b": [1, "\\u00e9"], "a": {"c": null}, "d": true}');
    expect(h('to_nice_json', [v], { indent: 2 })).toBe('{\n  "a": {\n    "c": null\n  },\n  "b": [\n    1,\n    "\\u00e9"\n  ],\n  "d": true\n}');
    expect(pyJson([], 4)).toBe('[]');
    expect(h('to_yaml', [{ b: ['x'], a: 1 }])).toBe('a: 1\nb:\n  - x\n');
    expect(h('to_nice_yaml', [{ b: { c: 1 }, a: 1 }])).toBe('a: 1\nb:\n    c: 1\n');
  });

  it('IP and CIDR helpers for IPv4 and IPv6', () => {
    expect(r('{{cidr_ip vip}} {{cidr_network vip}} {{cidr_prefix vip}} {{cidr_netmask vip}}', { vip: '10.10.10.99/24' })).toBe(
      '10.10.10.99 10.10.10.0 24 255.255.255.0',
    );
    expect(h('cidr_prefix', ['10.0.0.1'])).toBe(32);
    expect(h('cidr_network', ['2001:db8:0:0:1::7/64'])).toBe('2001:db8::');
    expect(h('cidr_ip', ['2001:0db8:0000:0000:0000:ff00:0042:8329/64'])).toBe('2001:db8::ff00:42:8329');
    expect(h('cidr_ip', ['::ffff:10.0.0.1'])).toBe('::ffff:a00:1');
    expect(h('cidr_netmask', ['fe80::/10'])).toBe('ffc0::');
    expect([
      h('ip_in_cidr', ['10.10.10.12', '10.10.10.0/24']),
      h('ip_in_cidr', ['10.10.11.1', '10.10.10.0/24']),
      h('ip_in_cidr', ['::1', '0.0.0.0/0']),
    ]).toEqual([true, false, false]);
    expect([
      h('is_ip', ['10.0.0.1']),
      h('is_ip', ['10.0.0.256']),
      h('is_ip', ['fe80::1']),
      h('is_ip', ['1::2::3']),
      h('is_ip', ['10.0.0.1/8']),
    ]).toEqual([true, false, true, false, false]);
    expect(() => h('cidr_network', ['10.0.0.1/33'])).toThrow('invalid IP address or CIDR "10.0.0.1/33"');
    expect(() => h('cidr_ip', [undefined])).toThrow('cidr_ip expects an address, got undefined');
  });
});
