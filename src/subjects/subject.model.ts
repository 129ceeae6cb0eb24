/** Something a student studies; sessions are started for a subject. */
export interface Subject {
  id: string;
  name: string;
  createdAt: Date;
}
