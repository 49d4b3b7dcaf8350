-- 10,000 campaigns of ~2 KB nested metadata each. The BEFORE INSERT trigger
-- creates each campaign's _metadata_master row (and its "created" event).
-- :n is set by run.sh (psql -v n=10000).
INSERT INTO service_campaign_main (name, status, metadata)
SELECT
  'Campaign ' || g,
  (ARRAY['draft', 'active', 'paused', 'archived'])[1 + g % 4],
  jsonb_build_object(
    'service_specific', jsonb_build_object(
      'localization', jsonb_build_object(
        'source_locale', 'en',
        'target_locales', jsonb_build_array('es'),
        'scripts', jsonb_build_object(
          'title', 'Spring sale ' || g,
          'subtitle', 'Up to ' || (g % 70 + 10) || '% off everything in the store for {name}',
          'body', repeat('Fresh arrivals every week, free returns and fast delivery. ', 5),
          'cta', jsonb_build_object('label', 'Shop now', 'hint', 'Offer ends soon'),
          'legal', jsonb_build_array('Terms apply.', 'While stocks last.', 'Not combinable with other offers.')))),
    'targeting', jsonb_build_object(
      'regions', jsonb_build_array('eu-west', 'eu-central', 'us-east', 'apac'),
      'age', jsonb_build_object('min', 18 + g % 10, 'max', 65),
      'segments', (SELECT jsonb_agg(jsonb_build_object('id', 'seg-' || s, 'weight', round((s * 0.07)::numeric, 2), 'include', s % 3 <> 0))
                   FROM generate_series(1, 8) s)),
    'budget', jsonb_build_object('currency', 'EUR', 'daily', 100 + g % 900, 'total', 10000 + g,
                                 'caps', jsonb_build_object('perUser', 3, 'perDay', 1000)),
    'schedule', jsonb_build_object('start', '2026-03-01T00:00:00Z', 'end', '2026-04-30T23:59:59Z',
                                   'timezone', 'Europe/Madrid', 'blackout', jsonb_build_array('2026-04-03', '2026-04-06')),
    'channels', (SELECT jsonb_agg(jsonb_build_object('kind', k, 'enabled', true,
                                                     'settings', jsonb_build_object('priority', i, 'template', 'tpl-' || k || '-' || g % 50)))
                 FROM unnest(ARRAY['email', 'push', 'sms', 'web']) WITH ORDINALITY AS c(k, i)),
    'tags', jsonb_build_array('seasonal', 'spring', 'sale', 'batch-' || g % 100),
    'owner', jsonb_build_object('team', 'growth', 'contact', 'growth-' || g % 20 || '@example.com'),
    'counter', 0)
FROM generate_series(1, :n) g;
