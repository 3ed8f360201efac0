import { describe, expect, it } from 'vitest';
import { analyseQuery, parseDateText } from './query.js';

describe('analyseQuery: natural-language questions to search terms', () => {
  it('drops English stop words and keeps the telling words in question order', () => {
    expect(analyseQuery('What did the team decide about the Postgres backups?').terms).toEqual(['team', 'decide', 'postgres', 'backups']);
  });

  it('falls back to every word when the question is only stop words, so it still finds something', () => {
    expect(analyseQuery('Who is he?').terms).toEqual(['who', 'is', 'he']);
  });

  it('drops "kind of" / "type of" but keeps "kind" as a word', () => {
    expect(analyseQuery('What kind of coffee does Ada like?').terms).toEqual(['coffee', 'ada', 'like']);
    expect(analyseQuery('Ada was kind to Bo').terms).toEqual(['ada', 'kind', 'bo']);
  });

  it('takes capitalised words that do not start a sentence for names, but not months', () => {
    expect(analyseQuery('Where did Caroline move from? Paris trips in June.').names).toEqual(['caroline']);
    expect(analyseQuery('What did Caroline and Melanie paint?').names).toEqual(['caroline', 'melanie']);
  });

  it('returns letters and digits only, lower-cased, so no query syntax survives', () => {
    const { terms, names } = analyseQuery('NEAR(tokio smol) "x" ^Tokio* -smol OR:A');
    for (const t of [...terms, ...names]) expect(t).toMatch(/^[\p{Ll}\p{Lo}\p{N}]+$/u);
  });
});

describe('parseDateText: the date a question or a memory names', () => {
  it.each([
    ['When did Melanie go camping in June?', { month: 6 }],
    ['What did she show on October 13, 2023?', { year: 2023, month: 10, day: 13 }],
    ['What happened in 2022?', { year: 2022 }],
    ['on 8 May, 2023', { year: 2023, month: 5, day: 8 }],
  ])('question %j', (text, parts) => {
    expect(parseDateText(text, { question: true })).toEqual(parts);
  });

  it('does not take "may" the verb for May in a question', () => {
    expect(parseDateText('When may I deploy?', { question: true })).toBeUndefined();
    expect(parseDateText('What did we mar?', { question: true })).toBeUndefined();
  });

  it('reads ISO dates and the dates agents store in metadata', () => {
    expect(parseDateText('2023-05-08T10:00:00Z')).toEqual({ year: 2023, month: 5, day: 8 });
    expect(parseDateText('1:56 pm on 8 May, 2023')).toEqual({ year: 2023, month: 5, day: 8 });
    expect(parseDateText('Sept 3 2021')).toEqual({ year: 2021, month: 9, day: 3 });
    expect(parseDateText('no date here')).toBeUndefined();
  });
});
